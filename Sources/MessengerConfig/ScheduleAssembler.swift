import Foundation
import Messenger
import Scheduler

/// The schedules a process runs: those declared in code, with `config/scheduler.yaml` and the
/// environment applied. Every override must name a task that exists.
public enum ScheduleAssembler {
    /// Environment overrides: `SCHEDULER_<TASK>_ENABLED=false`, `SCHEDULER_<TASK>_CRON='0 4 * * *'`,
    /// where `<TASK>` is the task's name in capitals with `_` for anything but letters and digits.
    public static let environmentSuffixes = ["_ENABLED", "_CRON"]

    public static func assemble(
        declared: [Schedule], configuration: SchedulerConfiguration, environment: Environment,
        decode: (_ type: String, _ json: String) throws -> any Message
    ) throws -> [Schedule] {
        var schedules: [String: Schedule] = [:]
        var order: [String] = []
        for schedule in declared {
            guard schedules[schedule.name] == nil else { throw ScheduleError("two schedules are named \"\(schedule.name)\"") }
            schedules[schedule.name] = schedule
            order.append(schedule.name)
        }
        for name in configuration.tasks.keys.sorted() {
            for (task, settings) in configuration.tasks[name] ?? [] {
                var schedule = try schedules[name] ?? Schedule(name: name, [])
                if let existing = schedule[task: task] {
                    guard settings.message == nil else {
                        throw settings.error("task \(task) is declared in code already; drop `message` to override it")
                    }
                    schedule.replace(settings.applied(to: existing))
                } else if let declaredMessage = settings.message {
                    let message: any Message
                    do { message = try decode(declaredMessage.type, declaredMessage.json) } catch { throw settings.error("message: \(error)") }
                    let trigger = settings.trigger ?? .every(60, from: nil, until: nil)
                    do { try schedule.add(settings.applied(to: RecurringMessage(message, trigger: trigger, name: task))) } catch { throw settings.error("\(error)") }
                } else {
                    throw settings.error(unknownTask(task, in: schedules[name], scheduleName: name, known: order))
                }
                if schedules[name] == nil { order.append(name) }
                schedules[name] = schedule
            }
        }
        try applyEnvironment(environment, to: &schedules, order: order)
        return try order.map { name in
            let schedule = schedules[name]!
            do { try schedule.validate() } catch { throw ConfigError(file: SchedulerConfigLoader.defaultPath, "\(error)") }
            return schedule
        }
    }

    private static func unknownTask(_ task: String, in schedule: Schedule?, scheduleName: String, known: [String]) -> String {
        guard let schedule else {
            return "there is no schedule \"\(scheduleName)\" (schedules: \(known.isEmpty ? "none" : known.joined(separator: ", "))); to declare a task here, give it a message and a trigger"
        }
        let tasks = schedule.messages.map(\.name)
        return "schedule \(scheduleName) has no task \"\(task)\" (tasks: \(tasks.isEmpty ? "none" : tasks.joined(separator: ", "))); to declare one here, give it a message and a trigger"
    }

    /// `<TASK>` of the environment variables for a task name.
    public static func environmentName(of task: String) -> String {
        String(task.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    private static func applyEnvironment(_ environment: Environment, to schedules: inout [String: Schedule], order: [String]) throws {
        for variable in environment.values.keys.sorted() where variable.hasPrefix("SCHEDULER_") {
            guard let suffix = environmentSuffixes.first(where: { variable.hasSuffix($0) }) else { continue }
            let taskName = String(variable.dropFirst("SCHEDULER_".count).dropLast(suffix.count))
            let value = environment[variable] ?? ""
            let failure = { (message: String) in ConfigError(file: "environment", key: variable, message) }
            var matched = false
            for name in order {
                guard var schedule = schedules[name] else { continue }
                for task in schedule.messages where environmentName(of: task.name) == taskName {
                    matched = true
                    var changed = task
                    if suffix == "_ENABLED" {
                        switch value.lowercased() {
                        case "true", "1", "yes", "on": changed.enabled = true
                        case "false", "0", "no", "off": changed.enabled = false
                        default: throw failure("expected true or false, got \"\(value)\"")
                        }
                    } else {
                        let zone: TimeZone
                        if case .cron(_, let current) = task.trigger { zone = current } else { zone = TimeZone(identifier: "UTC")! }
                        do { _ = try CronTrigger(value, timeZone: zone) } catch { throw failure("\(error)") }
                        changed.trigger = .cron(value, timeZone: zone)
                    }
                    schedule.replace(changed)
                }
                schedules[name] = schedule
            }
            if !matched {
                let known = order.flatMap { schedules[$0]?.messages.map { "SCHEDULER_\(environmentName(of: $0.name))\(suffix)" } ?? [] }
                throw failure("no task is named \(taskName.lowercased()) (overridable: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
            }
        }
    }
}
