import ArgumentParser
import Messenger
import MessengerConfig
import Scheduler

/// `debug:messenger`: every message type, its handlers, where it is routed and the limits it runs
/// under; every recurring message of the schedules, and where its messages go.
struct DebugMessengerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "debug:messenger", abstract: "List message types, their handlers and their routing.")

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    struct Row: Encodable {
        let message: String
        let swiftType: String
        let handlers: [String]
        let routedTo: [String]
        /// The `limits:` rules of its type or prefix: `App.* (concurrency 4)`.
        let limits: [String]
    }

    struct LimitRow: Encodable {
        let key: String
        let concurrency: Int?
        let rateLimit: String?
        let groupFailure: String
    }

    struct ScheduleRow: Encodable {
        let schedule: String
        let name: String
        let trigger: String
        let messageType: String
        /// Empty: handled by the worker that consumes `scheduler_<schedule>`.
        let routedTo: [String]
        let enabled: Bool
    }

    struct Report: Encodable {
        let bus: String
        let messages: [Row]
        let limits: [LimitRow]
        let schedules: [ScheduleRow]
    }

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let senders = SendersLocator(routing: kernel.configuration.routing, senders: [:])
        let rows = kernel.registry.types.values.sorted { $0.name < $1.name }.map { type in
            Row(message: type.name, swiftType: type.swiftType, handlers: kernel.registry.handlers(for: type.name).map(\.name),
                routedTo: senders.transportNames(forMessageName: type.name),
                limits: kernel.configuration.limits.rules.filter { rule in
                    if case .queue = rule.scope { return false }
                    return rule.matches(type: type.name, queue: "")
                }.map { "\($0.key) (\($0.summary))" })
        }
        let limitRows = kernel.configuration.limits.rules.map {
            LimitRow(key: $0.key, concurrency: $0.concurrency, rateLimit: $0.rateLimit?.description, groupFailure: $0.holdsGroupOnFailure ? "hold" : "continue")
        }
        var problems = kernel.routingProblems()
        for rule in kernel.configuration.limits.rules {
            if case .queue = rule.scope { continue }
            if !kernel.registry.types.keys.contains(where: { rule.matches(type: $0, queue: "") }) {
                problems.append("limits: \(rule.key) matches no message type of this application")
            }
        }
        var scheduleRows: [ScheduleRow] = []
        do {
            for schedule in try kernel.schedules() {
                for task in schedule.messages {
                    let type = Swift.type(of: task.message).messageName
                    scheduleRows.append(ScheduleRow(
                        schedule: schedule.name, name: task.name, trigger: MessengerKernel.describe(task, try task.makeTrigger(schedule: schedule.name)),
                        messageType: type, routedTo: senders.transportNames(forMessageName: type), enabled: task.enabled))
                }
            }
        } catch {
            problems.append("the schedules cannot be read: \(error)")
        }
        if format == .json { return try printJSON(Report(bus: kernel.bus.name, messages: rows, limits: limitRows, schedules: scheduleRows)) }
        print("Bus: \(kernel.bus.name)\n")
        var table = TextTable("Message", "Handlers", "Routed to", "Limits")
        for row in rows {
            table.add(row.message, row.handlers.isEmpty ? "(none)" : row.handlers.joined(separator: ", "),
                      row.routedTo.isEmpty ? "sync (handled when dispatched)" : row.routedTo.joined(separator: ", "),
                      row.limits.isEmpty ? "-" : row.limits.joined(separator: "; "))
        }
        print(table.render())
        if !limitRows.isEmpty {
            var limits = TextTable("Limit", "Concurrency", "Rate", "Group on failure")
            for row in limitRows { limits.add(row.key, row.concurrency.map(String.init) ?? "-", row.rateLimit ?? "-", row.groupFailure) }
            print("\nLimits (enforced by the database transports across all workers):\n")
            print(limits.render())
        }
        if !scheduleRows.isEmpty {
            var schedules = TextTable("Schedule", "Recurring message", "Trigger", "Message", "Routed to")
            for row in scheduleRows {
                schedules.add(row.schedule, row.name + (row.enabled ? "" : " (disabled)"), row.trigger, row.messageType,
                              row.routedTo.isEmpty ? "handled by the worker consuming scheduler_\(row.schedule)" : row.routedTo.joined(separator: ", "))
            }
            print("\nSchedules (consumed as scheduler_<schedule>):\n")
            print(schedules.render())
        }
        if !problems.isEmpty { print("\nProblems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")) }
    }
}

