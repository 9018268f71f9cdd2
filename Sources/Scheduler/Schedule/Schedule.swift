/// A named set of recurring messages, consumed by the `scheduler_<name>` receiver.
public struct Schedule: Sendable {
    /// The schedule's name: its receiver is `scheduler_<name>`.
    public let name: String
    /// Its recurring messages.
    public private(set) var messages: [RecurringMessage]

    /// A schedule; two recurring messages with one name are an error (name one of them).
    public init(name: String = "default", _ messages: [RecurringMessage]) throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw ScheduleError("invalid schedule name \"\(name)\": use letters, digits, _ and -")
        }
        self.name = name
        self.messages = []
        for message in messages { try add(message) }
    }

    /// Adds a recurring message; its name must be new in this schedule.
    public mutating func add(_ message: RecurringMessage) throws {
        guard !message.name.isEmpty else { throw ScheduleError("schedule \(name): a recurring message has an empty name") }
        if messages.contains(where: { $0.name == message.name }) {
            throw ScheduleError("schedule \(name) has two recurring messages named \"\(message.name)\"; give one of them another name")
        }
        messages.append(message)
    }

    /// The recurring message of that name, if any.
    public subscript(task name: String) -> RecurringMessage? {
        messages.first { $0.name == name }
    }

    /// Replaces the recurring message of the same name.
    public mutating func replace(_ message: RecurringMessage) {
        if let index = messages.firstIndex(where: { $0.name == message.name }) { messages[index] = message }
    }

    /// Checks that every trigger can be built (cron syntax, time zone, interval, jitter).
    public func validate() throws {
        for message in messages {
            do {
                _ = try message.makeTrigger(schedule: name)
            } catch {
                throw ScheduleError("schedule \(name), task \(message.name): \(error)")
            }
            guard message.maxCatchUp >= 1 else { throw ScheduleError("schedule \(name), task \(message.name): max_catch_up must be at least 1") }
            guard message.misfireGraceSeconds >= 0 else { throw ScheduleError("schedule \(name), task \(message.name): misfire_grace must not be negative") }
        }
    }
}

/// Declares a schedule in code: the application's planned work.
public protocol ScheduleProvider: Sendable {
    /// The schedule, built when a command needs it.
    func schedule() throws -> Schedule
}

/// A schedule that cannot be used as declared or overridden: what, and how to fix it.
public struct ScheduleError: Error, CustomStringConvertible, Equatable {
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
