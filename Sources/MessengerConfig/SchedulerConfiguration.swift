import Foundation
import Scheduler

/// `config/scheduler.yaml`: where occurrences are recorded, and per task the settings that override
/// the schedule declared in code (or declare a task, when they name a message).
public struct SchedulerConfiguration: Sendable {
    /// The transport whose database records occurrences; nil: `async` if it stores messages, else the
    /// first transport that does.
    public var stateTransport: String?
    /// Schedule name → task name → settings, in file order.
    public var tasks: [String: [(String, TaskSettings)]] = [:]

    public init(stateTransport: String? = nil) { self.stateTransport = stateTransport }
}

/// What configuration says about one task; nil fields keep what the code declared.
public struct TaskSettings: Sendable {
    /// A message declared in configuration: its wire name and its body as JSON.
    public struct DeclaredMessage: Sendable {
        public let type: String
        public let json: String
    }

    public var enabled: Bool?
    public var trigger: TriggerSpec?
    public var jitterSeconds: Int?
    public var catchUp: CatchUpPolicy?
    public var misfireGraceSeconds: Int?
    public var maxCatchUp: Int?
    public var message: DeclaredMessage?
    /// Where the settings come from, for errors.
    public var file: String
    public var line: Int?
    public var key: String

    public init(file: String, line: Int? = nil, key: String) {
        self.file = file
        self.line = line
        self.key = key
    }

    /// An error located at these settings.
    public func error(_ message: String) -> ConfigError { ConfigError(file: file, line: line, key: key, message) }

    /// `recurring` with these settings applied.
    public func applied(to recurring: RecurringMessage) -> RecurringMessage {
        var result = recurring
        if let enabled { result.enabled = enabled }
        if let trigger { result.trigger = trigger }
        if let jitterSeconds { result.jitterSeconds = jitterSeconds }
        if let catchUp { result.catchUp = catchUp }
        if let misfireGraceSeconds { result.misfireGraceSeconds = misfireGraceSeconds }
        if let maxCatchUp { result.maxCatchUp = maxCatchUp }
        return result
    }
}
