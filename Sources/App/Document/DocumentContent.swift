/// What a generated document says, before it is laid out: a title and blocks, in order.
struct DocumentContent: Sendable {
    /// A table whose rows flow over as many pages as they need, its header repeated on each.
    struct Table: Sendable {
        struct Column: Sendable {
            var title: String
            /// The share of the line's width this column takes (the shares of a table add up to 1).
            var share: Double
        }

        var columns: [Column]
        var rows: [[String]]
    }

    enum Block: Sendable {
        case heading(String)
        /// Wrapped to the line's width.
        case paragraph(String)
        /// Label: value lines.
        case fields([(label: String, value: String)])
        case table(Table)
    }

    /// The organisation the document comes from, at the top of every page.
    var issuer: String
    /// Under the issuer: the service.
    var service: String
    var title: String
    var blocks: [Block]
    /// Printed in every page's footer ("… — generated on 2026-11-23").
    var generatedOn: String
}
