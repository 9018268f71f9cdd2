import Foundation

/// Fires on a cron expression in a time zone; hashed expressions are expanded with the message's name.
public struct CronTrigger: Trigger {
    /// As written, e.g. `#daily`.
    public let written: String
    /// After expanding `#`, e.g. `17 4 * * *`.
    public let expression: CronExpression
    /// The zone the expression is read in (daylight saving time included).
    public let timeZone: TimeZone

    /// `context` names the recurring message; it seeds hashed fields.
    public init(_ written: String, timeZone: TimeZone = TimeZone(identifier: "UTC")!, context: String = "") throws {
        self.written = written
        self.timeZone = timeZone
        let expanded = try HashedCron.expand(written, context: context)
        do {
            expression = try CronExpression(expanded)
        } catch let error as CronError {
            throw CronError(field: error.field, expression: written, problem: error.problem)
        }
    }

    /// The first time after `date` that the expression matches in the time zone.
    public func nextRun(after date: Date) -> Date? { expression.nextOccurrence(after: date, in: timeZone) }

    public var description: String {
        written == expression.source ? written : "\(written) (\(expression.source))"
    }
}
