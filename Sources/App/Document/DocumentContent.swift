/// What a generated document says, before it is laid out: a title and blocks, in order.
struct DocumentContent: Sendable, Equatable {
    /// A table whose rows flow over as many pages as they need, its header repeated on each.
    struct Table: Sendable, Equatable {
        struct Column: Sendable, Equatable {
            var title: String
            /// The share of the line's width this column takes (the shares of a table add up to 1).
            var share: Double
        }

        var columns: [Column]
        var rows: [[String]]
    }

    enum Block: Sendable, Equatable {
        case heading(String)
        /// Wrapped to the line's width.
        case paragraph(String)
        /// Label: value lines.
        case fields([(label: String, value: String)])
        case table(Table)

        static func == (lhs: Block, rhs: Block) -> Bool {
            switch (lhs, rhs) {
            case (.heading(let a), .heading(let b)), (.paragraph(let a), .paragraph(let b)): a == b
            case (.fields(let a), .fields(let b)): a.map(\.label) == b.map(\.label) && a.map(\.value) == b.map(\.value)
            case (.table(let a), .table(let b)): a == b
            default: false
            }
        }
    }

    /// The organisation the document comes from, at the top of every page.
    var issuer: String
    /// Under the issuer: the service.
    var service: String
    var title: String
    var blocks: [Block]
    /// Printed in every page's footer ("Generated on 2026-11-23").
    var generatedOn: String
}
