import Foundation
import Messenger
import MessengerConfig
import MessengerTestSupport
import Scheduler
import Testing

@Suite("scheduler.yaml and SCHEDULER_* overrides")
struct SchedulerConfigTests {
    static let file = "config/scheduler.yaml"

    let declared = try! Schedule([
        try .cron("0 3 * * *", timeZone: "Europe/Paris", Numbered(number: 1), name: "recompute-roles"),
        try .every("1 hour", Numbered(number: 2), name: "reminders"),
    ])

    func assemble(_ yaml: String, environment: [String: String] = [:]) throws -> [Schedule] {
        let env = Environment(environment)
        let configuration = try SchedulerConfigLoader.parse(yaml, file: Self.file, environment: env)
        let serializer = JSONSerializer(registry: .numbered)
        return try ScheduleAssembler.assemble(declared: [declared], configuration: configuration, environment: env) { type, json in
            try serializer.decodeMessage(named: type, json: json)
        }
    }

    func error(_ yaml: String, environment: [String: String] = [:]) -> ConfigError? {
        #expect(throws: ConfigError.self) { try assemble(yaml, environment: environment) }
    }

    @Test("overrides change a declared task's trigger, jitter and catch-up; a task with a message is declared")
    func overrides() throws {
        let schedules = try assemble("""
            scheduler:
              state: async
              schedules:
                default:
                  recompute-roles:
                    cron: '30 4 * * 1-5'
                    timezone: America/New_York
                    jitter: 120
                    catch_up: all
                    misfire_grace: 300
                    max_catch_up: 5
                  reminders:
                    enabled: '%env(REMINDERS)%'
                  heartbeat:
                    every: 10 minutes
                    message: { type: Test.Numbered, payload: { number: 42 } }
            """, environment: ["REMINDERS": "false"])
        let schedule = try #require(schedules.first)
        #expect(schedule.messages.map(\.name) == ["recompute-roles", "reminders", "heartbeat"])
        let roles = try #require(schedule[task: "recompute-roles"])
        #expect(roles.trigger.description == "30 4 * * 1-5 (America/New_York)")
        #expect(roles.jitterSeconds == 120 && roles.catchUp == .all && roles.misfireGraceSeconds == 300 && roles.maxCatchUp == 5)
        #expect(schedule[task: "reminders"]?.enabled == false)
        let heartbeat = try #require(schedule[task: "heartbeat"])
        #expect((heartbeat.message as? Numbered)?.number == 42)
        #expect(heartbeat.trigger.description == "every 10 minutes")
    }

    @Test("SCHEDULER_<TASK>_ENABLED and SCHEDULER_<TASK>_CRON override without a rebuild")
    func environment() throws {
        let schedules = try assemble("", environment: ["SCHEDULER_RECOMPUTE_ROLES_CRON": "15 1 * * *", "SCHEDULER_REMINDERS_ENABLED": "0", "SCHEDULER_CLOCK": "unrelated"])
        let schedule = try #require(schedules.first)
        #expect(schedule[task: "recompute-roles"]?.trigger.description == "15 1 * * * (Europe/Paris)")
        #expect(schedule[task: "reminders"]?.enabled == false)
    }

    @Test("an override for a task that does not exist names it, the file, the line and the tasks there are")
    func unknownTask() {
        let failure = error("""
            scheduler:
              schedules:
                default:
                  recompute_roles:
                    enabled: false
            """)
        #expect(failure?.file == Self.file)
        #expect(failure?.line == 4)
        #expect(failure?.message.contains("schedule default has no task \"recompute_roles\" (tasks: recompute-roles, reminders)") == true)
        let unknownSchedule = error("scheduler:\n  schedules:\n    nightly:\n      x: { enabled: false }\n")
        #expect(unknownSchedule?.message.contains("there is no schedule \"nightly\"") == true)
        let environment = error("", environment: ["SCHEDULER_PURGE_FILES_ENABLED": "false"])
        #expect(environment?.key == "SCHEDULER_PURGE_FILES_ENABLED")
        #expect(environment?.message.contains("SCHEDULER_RECOMPUTE_ROLES_ENABLED") == true)
    }

    @Test("bad values are named with their key: cron, time zone, interval, until before from, catch_up, boolean, message type")
    func badValues() {
        let cases: [(String, String)] = [
            ("recompute-roles: { cron: '61 * * * *' }", "minute field"),
            ("recompute-roles: { cron: '0 0 30 2 *' }", "never occurs"),
            ("recompute-roles: { cron: '@daily', timezone: Mars/Olympus }", "unknown time zone \"Mars/Olympus\""),
            ("reminders: { every: 0 minutes }", "longer than zero"),
            ("reminders: { every: 1 hour, from: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' }", "is before from"),
            ("reminders: { catch_up: sometimes }", "expected all, last or none"),
            ("reminders: { enabled: maybe }", "expected true or false"),
            ("reminders: { cron: '@daily', every: 1 hour }", "either cron or every"),
            ("reminders: { colour: blue }", "unknown key \"colour\""),
            ("beat: { every: 1 hour, message: { type: Nope.Gone } }", "Nope.Gone"),
            ("beat: { message: { type: Test.Numbered } }", "needs a trigger"),
        ]
        for (task, fragment) in cases {
            let failure = error("scheduler:\n  schedules:\n    default:\n      \(task)\n")
            #expect(failure?.description.contains(fragment) == true, "\(task): \(failure?.description ?? "no error")")
        }
        let env = error("", environment: ["SCHEDULER_REMINDERS_CRON": "every day"])
        #expect(env?.description.contains("SCHEDULER_REMINDERS_CRON") == true)
    }
}
