import App
import Foundation
import Messenger
import MessengerConsole
import MessengerSQLite
import MessengerTestSupport
import Scheduler
import Testing

/// `scheduler:list`, `scheduler:run` and `messenger:consume scheduler_<name>` from the real `app`, and
/// the bad input they must name.
@Suite("app scheduler commands", .timeLimit(.minutes(3)))
struct SchedulerCommandTests {
    static let schedule = """
        scheduler:
          schedules:
            default:
              heartbeat:
                every: 10 minutes
                message: { type: Messenger.Probe, payload: { label: heartbeat } }
              nightly:
                cron: '#daily'
                timezone: Europe/Paris
                jitter: 30
                message: { type: Messenger.Probe, payload: { label: nightly } }
            reports:
              weekly:
                cron: '0 6 * * mon'
                message: { type: Messenger.Probe, payload: { label: weekly } }
        """

    func project(_ schedule: String = schedule, config: String = TestProject.defaultConfig) throws -> TestProject {
        let project = try TestProject(config: config)
        try project.directory.write("config/scheduler.yaml", schedule)
        return project
    }

    @Test("scheduler:list: every schedule, triggers as written and expanded, next runs from --date, enabled; --all adds disabled ones; json")
    func list() async throws {
        var project = try project()
        let text = try await project.run("scheduler:list", "--date", "2026-03-28T00:00:00Z", "--next", "3")
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("heartbeat"))
        #expect(text.stdout.contains("2026-03-28T00:10:00Z, 2026-03-28T00:20:00Z, 2026-03-28T00:30:00Z"))
        #expect(text.stdout.contains("Messenger.Probe {\"label\":\"heartbeat\"}"))
        #expect(text.stdout.contains("never"))
        let rows = try json([ListRow].self, try await project.run("scheduler:list", "--date", "2026-03-28T00:00:00Z", "--format", "json").stdout)
        // The application's own tasks (declared in code) come first; the file adds its tasks to them.
        let declared = try AppSchedule().schedule().messages.map { "default/\($0.name)" }
        #expect(rows.map { "\($0.schedule)/\($0.name)" } == declared + ["default/heartbeat", "default/nightly", "reports/weekly"])
        let nightly = try #require(rows.first { $0.name == "nightly" })
        #expect(nightly.trigger.hasPrefix("#daily ("))
        #expect(nightly.trigger.hasSuffix("(Europe/Paris) + up to 30 s jitter"))
        #expect(rows.first { $0.name == "weekly" }?.nextRuns == ["2026-03-30T06:00:00Z"])

        let only = try json([ListRow].self, try await project.run("scheduler:list", "reports", "--format", "json").stdout)
        #expect(only.map(\.name) == ["weekly"])

        project.environment["SCHEDULER_HEARTBEAT_ENABLED"] = "false"
        let enabled = try json([ListRow].self, try await project.run("scheduler:list", "--format", "json").stdout)
        #expect(!enabled.contains { $0.name == "heartbeat" })
        let all = try json([ListRow].self, try await project.run("scheduler:list", "--all", "--format", "json").stdout)
        #expect(all.first { $0.name == "heartbeat" }?.enabled == false)
        project.remove()
    }

    @Test("scheduler:run dispatches one recurring message now, through the routing")
    func run() async throws {
        let project = try project()
        let result = try await project.run("scheduler:run", "heartbeat")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("[OK] default/heartbeat (Messenger.Probe) sent to async (id 1)."))
        let stored = try await project.transport().list(limit: 10)
        #expect((stored.first?.message as? Probe)?.label == "heartbeat")
        let qualified = try await project.run("scheduler:run", "reports/weekly")
        #expect(qualified.status == 0)
        project.remove()
    }

    @Test("a message routed nowhere is handled by the worker consuming the schedule; one that fails is parked, not retried")
    func handledHere() async throws {
        let config = TestProject.defaultConfig.replacingOccurrences(of: "Messenger.Probe: async", with: "'Nothing.*': async")
        var project = try project("""
            scheduler:
              schedules:
                default:
                  here:
                    every: 1 minute
                    message: { type: Messenger.Probe, payload: { label: here } }
                  failing:
                    every: 1 minute
                    message: { type: Messenger.Probe, payload: { label: failing, failAttempts: 1 } }
            """, config: config)
        project.environment["SCHEDULER_CLOCK"] = "start=2026-03-28T00:00:00Z speed=60"
        let worker = try project.start("messenger:consume", "scheduler_default", "--sleep", "0.05")
        try await worker.waitForLog("probe.label=here")
        let emitted = try await worker.waitForLog("task=failing")
        #expect(emitted.contains("destination=handled by this worker"))
        try await worker.waitForLog("failure transport")
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
        let log = worker.standardError.text
        #expect(handledProbes(log).first == "here")
        #expect(try await project.transport().statistics().total == 0)
        let failed = try await project.run("messenger:failed:show", "--format", "json")
        let rows = try json([FailedRow].self, failed.stdout)
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { $0.error?.contains("probe failing failed on purpose") == true && $0.retries == 0 })
        project.remove()
    }

    @Test("messenger:stop-workers reaches a worker that consumes only a schedule, through the database of its records")
    func stopWorkers() async throws {
        let project = try project()
        let worker = try project.start("messenger:consume", "scheduler_default", "--sleep", "0.1")
        try await worker.waitForLog("Consuming messages")
        let stop = try await project.run("messenger:stop-workers")
        #expect(stop.status == 0)
        #expect(try await worker.waitForExit() == 0)
        #expect(worker.standardError.text.contains("Worker stopped (messenger:stop-workers)"))
        project.remove()
    }

    @Test("bad input: unknown schedule to scheduler:list or messenger:consume, unknown task to scheduler:run, override of a task that does not exist")
    func badInput() async throws {
        var project = try project()
        let list = try await project.run("scheduler:list", "nightly")
        #expect(list.status != 0)
        #expect(list.stderr.contains("unknown schedule \"nightly\"; schedules: default, reports"))
        let consume = try await project.run("messenger:consume", "scheduler_nightly", "--time-limit", "1")
        #expect(consume.status != 0)
        #expect(consume.stderr.contains("unknown schedule \"nightly\""))
        let run = try await project.run("scheduler:run", "purge")
        #expect(run.status != 0)
        #expect(run.stderr.contains("no recurring message \"purge\"; recurring messages: default/recompute-roles, "))
        #expect(run.stderr.contains("default/heartbeat, default/nightly, reports/weekly"))

        try project.directory.write("config/scheduler.yaml", Self.schedule + "\n      purge:\n        enabled: false\n")
        let override = try await project.run("messenger:consume", "scheduler_default", "--time-limit", "1")
        #expect(override.status != 0)
        #expect(override.stderr.contains("config/scheduler.yaml:16: scheduler.schedules.reports.purge: schedule reports has no task \"purge\" (tasks: weekly)"))

        try project.directory.write("config/scheduler.yaml", Self.schedule)
        project.environment["SCHEDULER_PURGE_ENABLED"] = "false"
        let environment = try await project.run("scheduler:list")
        #expect(environment.status != 0)
        #expect(environment.stderr.contains("SCHEDULER_PURGE_ENABLED: no task is named purge"))

        project.environment = ["SCHEDULER_CLOCK": "start=tomorrow"]
        let clock = try await project.run("messenger:consume", "scheduler_default", "--time-limit", "1")
        #expect(clock.status != 0)
        #expect(clock.stderr.contains("SCHEDULER_CLOCK: start must be an ISO 8601 time"))
        project.remove()
    }

    @Test("messenger:consume --all consumes the schedules first, then every storing transport but the failure transport")
    func consumeAll() async throws {
        let project = try project()
        let worker = try project.start("messenger:consume", "--all", "--sleep", "0.1")
        let line = try await worker.waitForLog("Consuming messages from")
        #expect(line.hasSuffix("Consuming messages from scheduler_default, scheduler_reports, async, high"))
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
        project.remove()
    }

    struct DebugSchedules: Decodable {
        struct Row: Decodable {
            let schedule: String
            let name: String
            let trigger: String
            let messageType: String
            let routedTo: [String]
            let enabled: Bool
        }
        let schedules: [Row]
    }

    @Test("debug:messenger shows each schedule's recurring messages and where their messages are routed")
    func debugMessengerSchedules() async throws {
        var project = try project()
        project.environment["SCHEDULER_NIGHTLY_ENABLED"] = "false"
        let report = try json(DebugSchedules.self, try await project.run("debug:messenger", "--format", "json").stdout)
        let heartbeat = try #require(report.schedules.first { $0.name == "heartbeat" })
        #expect((heartbeat.schedule, heartbeat.trigger, heartbeat.messageType, heartbeat.routedTo) == ("default", "every 10 minutes", "Messenger.Probe", ["async"]))
        #expect(report.schedules.first { $0.name == "nightly" }?.enabled == false)
        #expect(report.schedules.first { $0.name == "weekly" }?.schedule == "reports")
        // The application's own tasks are there too, with their routing.
        let declared = try AppSchedule().schedule().messages.map(\.name)
        #expect(Set(declared).isSubset(of: Set(report.schedules.filter { $0.schedule == "default" }.map(\.name))))
        let text = try await project.run("debug:messenger")
        #expect(text.stdout.contains("Schedules (consumed as scheduler_<schedule>)"))
        #expect(text.stdout.contains("heartbeat"))
        #expect(text.stdout.contains("weekly"))
        project.remove()
    }
}
