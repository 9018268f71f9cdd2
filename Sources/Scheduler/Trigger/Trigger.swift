import Foundation

/// When a recurring message is due: the first time strictly after a given instant, nil once it never is again.
public protocol Trigger: Sendable, CustomStringConvertible {
    /// The first run after `date`; nil when there is none.
    func nextRun(after date: Date) -> Date?
}

/// A trigger that cannot be built: what was given, and what is wrong with it.
public struct TriggerError: Error, CustomStringConvertible, Equatable {
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

extension TriggerError {
    /// A time zone name that the system does not know.
    public static func unknownTimeZone(_ name: String) -> TriggerError {
        TriggerError("unknown time zone \"\(name)\"; use an IANA name such as Europe/Paris or UTC")
    }
}
