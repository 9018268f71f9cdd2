/// A cron expression that cannot be used: which field, and what is wrong with it.
public struct CronError: Error, CustomStringConvertible, Equatable {
    /// The field at fault (`minute`, `hour`, `day of month`, `month`, `day of week`), nil for the whole expression.
    public let field: String?
    /// The whole expression.
    public let expression: String
    /// What is wrong, in words.
    public let problem: String

    /// An error in `field` (nil: the expression as a whole) of `expression`.
    public init(field: String?, expression: String, problem: String) {
        self.field = field
        self.expression = expression
        self.problem = problem
    }

    public var description: String {
        if let field { return "invalid cron expression \"\(expression)\": \(field) field: \(problem)" }
        return "invalid cron expression \"\(expression)\": \(problem)"
    }
}
