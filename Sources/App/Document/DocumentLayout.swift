/// Lays a document's content out on A4 pages: the issuer at the top of every page, the title on the
/// first, paragraphs wrapped, tables split across pages with their header repeated, and a footer
/// with the generation day and "Page n of N" (known once every page is laid out).
struct DocumentLayout {
    static let width = 595.28
    static let height = 841.89
    static let margin = 56.0
    static let bottom = 64.0
    static let bodySize = 10.0
    static let tableSize = 9.0
    static let rowHeight = 15.0

    let measure: TextMeasure

    func pages(_ content: DocumentContent) -> [[PageItem]] {
        var pages: [[PageItem]] = []
        var items: [PageItem] = []
        var y = 0.0
        let lineWidth = Self.width - 2 * Self.margin

        func startPage() {
            if !items.isEmpty { pages.append(items) }
            items = [
                .text(content.issuer, x: Self.margin, y: Self.height - Self.margin, font: .bold, size: 13),
                .text(content.service, x: Self.margin, y: Self.height - Self.margin - 15, font: .regular, size: 10),
                .line(fromX: Self.margin, fromY: Self.height - Self.margin - 22, toX: Self.width - Self.margin, toY: Self.height - Self.margin - 22),
            ]
            y = Self.height - Self.margin - 48
        }
        /// Moves down by `height`, on a new page when it does not fit; true when a page was started.
        @discardableResult
        func advance(_ height: Double) -> Bool {
            if y - height < Self.bottom { startPage(); y -= height; return true }
            y -= height
            return false
        }

        func tableHeader(_ table: DocumentContent.Table, _ xs: [Double]) {
            items.append(.band(x: Self.margin, y: y - 4, width: lineWidth, height: Self.rowHeight))
            for (index, column) in table.columns.enumerated() {
                let width = (index + 1 < xs.count ? xs[index + 1] : Self.width - Self.margin) - xs[index] - 4
                items.append(.text(fit(column.title, width: width, font: .bold, size: Self.tableSize), x: xs[index] + 2, y: y, font: .bold, size: Self.tableSize))
            }
        }
        func columns(_ table: DocumentContent.Table) -> [Double] {
            var xs: [Double] = []
            var x = Self.margin
            for column in table.columns { xs.append(x); x += column.share * lineWidth }
            return xs
        }
        func layEmpty(_ table: DocumentContent.Table) {
            advance(2 * Self.rowHeight)
            tableHeader(table, columns(table))
            y -= Self.rowHeight
            items.append(.text("(none)", x: Self.margin + 2, y: y, font: .regular, size: Self.tableSize))
            y -= 10
        }
        func layRows(_ table: DocumentContent.Table) {
            let xs = columns(table)
            advance(2 * Self.rowHeight)
            tableHeader(table, xs)
            for row in table.rows {
                if advance(Self.rowHeight) {
                    tableHeader(table, xs)
                    y -= Self.rowHeight
                }
                for (index, cell) in row.enumerated() where index < xs.count {
                    let width = (index + 1 < xs.count ? xs[index + 1] : Self.width - Self.margin) - xs[index] - 4
                    items.append(.text(fit(cell, width: width, font: .regular, size: Self.tableSize), x: xs[index] + 2, y: y, font: .regular, size: Self.tableSize))
                }
                items.append(.line(fromX: Self.margin, fromY: y - 4, toX: Self.width - Self.margin, toY: y - 4))
            }
            y -= 10
        }

        startPage()
        items.append(.text(content.title, x: Self.margin, y: y, font: .bold, size: 16))
        y -= 28
        for block in content.blocks {
            switch block {
            case .heading(let text):
                advance(22)
                items.append(.text(text, x: Self.margin, y: y, font: .bold, size: 12))
                y -= 6
            case .paragraph(let text):
                for line in wrap(text, width: lineWidth, font: .regular, size: Self.bodySize) {
                    advance(14)
                    items.append(.text(line, x: Self.margin, y: y, font: .regular, size: Self.bodySize))
                }
                y -= 6
            case .fields(let fields):
                for field in fields {
                    advance(15)
                    items.append(.text(field.label, x: Self.margin, y: y, font: .bold, size: Self.bodySize))
                    items.append(.text(fit(field.value, width: lineWidth - 160, font: .regular, size: Self.bodySize),
                                       x: Self.margin + 160, y: y, font: .regular, size: Self.bodySize))
                }
                y -= 6
            case .table(let table):
                table.rows.isEmpty ? layEmpty(table) : layRows(table)
            }
        }

        pages.append(items)
        let total = pages.count
        return pages.enumerated().map { index, page in
            let number = "Page \(index + 1) of \(total)"
            return page + [
                .line(fromX: Self.margin, fromY: 48, toX: Self.width - Self.margin, toY: 48),
                .text("\(content.title) — generated on \(content.generatedOn)", x: Self.margin, y: 36, font: .regular, size: 8),
                .text(number, x: Self.width - Self.margin - measure(number, .regular, 8), y: 36, font: .regular, size: 8),
            ]
        }
    }

    /// `text` in lines no wider than `width`; a word wider than a line is cut to fit.
    func wrap(_ text: String, width: Double, font: PageItem.Font, size: Double) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            let candidate = line.isEmpty ? word : line + " " + word
            if measure(candidate, font, size) <= width { line = candidate; continue }
            if !line.isEmpty { lines.append(line) }
            line = fit(word, width: width, font: font, size: size)
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// `text`, cut with an ellipsis when wider than `width`.
    func fit(_ text: String, width: Double, font: PageItem.Font, size: Double) -> String {
        guard measure(text, font, size) > width else { return text }
        var cut = Substring(text)
        while !cut.isEmpty && measure(cut + "…", font, size) > width { cut = cut.dropLast() }
        return cut + "…"
    }
}
