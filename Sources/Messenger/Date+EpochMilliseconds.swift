import Foundation

/// Instants as the tables store them.
extension Date {
    /// Milliseconds since 1970, rounded: how the tables, records and cursors store an instant.
    public var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
