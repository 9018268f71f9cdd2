/// One mark on a laid-out page, in PDF points from the bottom-left corner.
enum PageItem: Sendable, Equatable {
    enum Font: Sendable, Equatable {
        case regular
        case bold
    }

    case text(String, x: Double, y: Double, font: Font, size: Double)
    case line(fromX: Double, fromY: Double, toX: Double, toY: Double)
    /// A light grey band (a table's header).
    case band(x: Double, y: Double, width: Double, height: Double)
}

/// The width of a text in a font and size, in points: what the layout measures with.
typealias TextMeasure = (String, PageItem.Font, Double) -> Double
