import Foundation
import Messenger
import MessengerPostgres
import MessengerSQLite
import MessengerTestSupport
import Scheduler
import Testing

/// The real `app` consuming schedules: several processes on one database, a clock sped up with
/// SCHEDULER_CLOCK, restarts after an outage, and the scheduler commands.
@Suite("app schedules on SQLite and PostgreSQL", .timeLimit(.minutes(5)))
struct SchedulerProcessTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case sqlite
        case postgres
        /// PostgreSQL through PgBouncer in transaction mode.
        case pgbouncer = "postgres via pgbouncer"
        var testDescription: String { rawValue }
    }

    /// The emissions a worker log reports: (task, occurrence).
    static func emissions(_ log: String) -> [(task: String, occurrence: Date)] {
        log.split(separator: "\n").filter { $0.contains("Scheduled message emitted") }.compactMap { line in
            let fields = Dictionary(line.split(separator: " ").compactMap { token -> (String, String)? in
                let pair = token.split(separator: "=", maxSplits: 1)
                return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
            guard let task = fields["task"], let text = fields["occurrence"], let date = try? Date(text, strategy: .iso8601) else { return nil }
            return (task, date)
        }
    }

    /// The time between the first and the last occurrence of the minute task in `logs` (a cheap scan:
    /// ISO 8601 dates in UTC sort as text).
    static func minuteSpan(_ logs: [String]) -> TimeInterval {
        var first: Substring?, last: Substring?
        for log in logs {
            for line in log.split(separator: "\n") where line.contains("task=minute") && line.contains("Scheduled message emitted") {
                guard let start = line.range(of: "occurrence=")?.upperBound else { continue }
                let date = line[start...].prefix { $0 != " " }
                if first.map({ date < $0 }) ?? true { first = date }
                if last.map({ date > $0 }) ?? true { last = date }
            }
        }
        guard let first, let last, let from = try? Date(String(first), strategy: .iso8601), let to = try? Date(String(last), strategy: .iso8601) else { return 0 }
        return to.timeIntervalSince(from)
    }

    static let daySchedule = """
        scheduler:
          schedules:
            default:
              minute:
                every: 1 minute
                catch_up: all
                max_catch_up: 1000
                message: { type: Messenger.Probe, payload: { label: minute } }
              paris:
                cron: '*/5 * * * *'
                timezone: Europe/Paris
                catch_up: all
                max_catch_up: 1000
                message: { type: Messenger.Probe, payload: { label: paris } }
              night:
                cron: '30 2 * * *'
                timezone: Europe/Paris
                catch_up: all
                message: { type: Messenger.Probe, payload: { label: night } }
              hashed:
                cron: '#hourly'
                catch_up: all
                message: { type: Messenger.Probe, payload: { label: hashed } }
        """

    /// A project on the backend whose `scheduler.yaml` declares `schedule` under a name of its own
    /// (tests share one PostgreSQL database); also a reader of the async queue's size, and a clean-up.
    func project(_ backend: Backend, schedule: String) throws -> (TestProject, String, @Sendable () async throws -> Int, @Sendable () async -> Void) {
        let name = "s\(UInt32.random(in: 0...UInt32.max))"
        let yaml = schedule.replacingOccurrences(of: "    default:", with: "    \(name):")
        switch backend {
        case .sqlite:
            let project = try TestProject()
            try project.directory.write("config/scheduler.yaml", yaml)
            return (project, name, { try await project.transport().statistics().total }, { project.remove() })
        case .postgres, .pgbouncer:
            let postgres = try PostgresProject(pgbouncerURL: backend == .pgbouncer ? try TestPostgres.pgbouncerURL : nil)
            try postgres.project.directory.write("config/scheduler.yaml", yaml)
            return (postgres.project, name, { try await postgres.transport().statistics().total }, {
                if let admin = try? PostgresConnection(url: postgres.serverURL) {
                    try? await admin.execute("DELETE FROM messenger_scheduler_occurrences WHERE schedule = '\(name)'")
                    await admin.close()
                }
                await postgres.remove()
            })
        }
    }

    @Test("3 processes consume a schedule over a simulated day (across the spring DST change): every occurrence emitted and stored once", arguments: Backend.allCases)
    func exactlyOnceOverADay(backend: Backend) async throws {
        var (project, schedule, storedCount, cleanUp) = try project(backend, schedule: Self.daySchedule)
        // Every process shows the same time: 2026-03-28T12:00Z two seconds from now, 3,600 × real time.
        let anchor = Date().addingTimeInterval(2).timeIntervalSince1970
        project.environment["SCHEDULER_CLOCK"] = "start=2026-03-28T12:00:00Z speed=3600 anchor=\(anchor)"
        let workers = try (0..<3).map { _ in try project.start("messenger:consume", "scheduler_\(schedule)", "--sleep", "0.05") }
        // Stopped once their logs together show 25 simulated hours of the minute task (about 25 s, more
        // on a loaded machine), wherever the first run fell.
        try await OutputBuffer.waitFor(workers.map(\.standardError), timeout: .seconds(150), description: "25 hours of emissions") {
            Self.minuteSpan($0) >= 25 * 3_600
        }
        for worker in workers { worker.signal(SIGTERM) }
        var logs: [String] = []
        for worker in workers {
            let status = try await worker.waitForExit(timeout: .seconds(60))
            #expect(status == 0, "exit \(status): \(worker.standardError.text.suffix(1500))")
            logs.append(worker.standardError.text)
        }
        let emitted = logs.flatMap(Self.emissions)
        let keys = emitted.map { "\($0.task)@\($0.occurrence.timeIntervalSince1970)" }
        #expect(keys.count == Set(keys).count, "an occurrence was emitted twice")
        #expect(logs.filter { !Self.emissions($0).isEmpty }.count >= 2, "the work was not shared among the processes")
        // The minute task ran every minute, without a gap, for at least a day.
        let minutes = emitted.filter { $0.task == "minute" }.map(\.occurrence).sorted()
        let first = try #require(minutes.first), last = try #require(minutes.last)
        #expect(last.timeIntervalSince(first) >= 86_400)
        #expect(minutes.count == Int(last.timeIntervalSince(first) / 60) + 1)
        // The other tasks: exactly their trigger's occurrences over the same span.
        for (name, expression, zone) in [("paris", "*/5 * * * *", "Europe/Paris"), ("night", "30 2 * * *", "Europe/Paris")] {
            let cron = try CronExpression(expression)
            let expected = cron.occurrences(after: first, count: 2000, in: TimeZone(identifier: zone)!).filter { $0 <= last }
            let got = emitted.filter { $0.task == name }.map(\.occurrence).filter { $0 > first && $0 <= last }.sorted()
            #expect(got == expected, "\(name)")
        }
        // 2:30 Paris does not exist on 29 March 2026: the night task ran once, at 3:00 (01:00Z).
        #expect(emitted.filter { $0.task == "night" }.map(\.occurrence).contains(try Date("2026-03-29T01:00:00Z", strategy: .iso8601)))
        #expect(emitted.filter { $0.task == "hashed" }.count >= 24)
        // Every emission stored one message.
        #expect(try await storedCount() == emitted.count)
        await cleanUp()
    }

    static let catchUpSchedule = """
        scheduler:
          schedules:
            default:
              all:
                every: 1 minute
                catch_up: all
                max_catch_up: 1000
                misfire_grace: 0
                message: { type: Messenger.Probe, payload: { label: all } }
              last:
                every: 1 minute
                misfire_grace: 0
                message: { type: Messenger.Probe, payload: { label: last } }
              none:
                every: 1 minute
                catch_up: none
                misfire_grace: 0
                message: { type: Messenger.Probe, payload: { label: none } }
        """

    @Test("down for 3 hours, then restarted: catch_up all emits the 180 missed runs, last one, none none", arguments: Backend.allCases)
    func catchUpAfterOutage(backend: Backend) async throws {
        var (project, schedule, storedCount, cleanUp) = try project(backend, schedule: Self.catchUpSchedule)
        project.environment["SCHEDULER_CLOCK"] = "start=2026-03-10T00:00:00Z speed=1"
        let before = try project.start("messenger:consume", "scheduler_\(schedule)", "-v")
        try await before.waitForLog("Schedule \(schedule) loaded")
        before.signal(SIGTERM)
        #expect(try await before.waitForExit() == 0)

        project.environment["SCHEDULER_CLOCK"] = "start=2026-03-10T03:00:00.500Z speed=1"
        let after = try project.start("messenger:consume", "scheduler_\(schedule)")
        let log = try await after.standardError.waitFor(timeout: .seconds(60), description: "181 emissions") { Self.emissions($0).count >= 181 }
        try await after.waitForLog("Skipping missed occurrences of \(schedule)/none")
        after.signal(SIGTERM)
        #expect(try await after.waitForExit() == 0)
        let emitted = Self.emissions(after.standardError.text)
        #expect(emitted.count == 181, "\(log.suffix(2000))")
        #expect(emitted.filter { $0.task == "all" }.count == 180)
        #expect(emitted.filter { $0.task == "last" }.map(\.occurrence) == [try Date("2026-03-10T03:00:00Z", strategy: .iso8601)])
        #expect(emitted.filter { $0.task == "none" }.isEmpty)
        #expect(try await storedCount() == 181)

        let list = try await project.run("scheduler:list", schedule, "--date", "2026-03-10T03:00:30Z", "--format", "json")
        #expect(list.status == 0, "\(list.stderr)")
        let rows = try json([ListRow].self, list.stdout)
        #expect(rows.map(\.name) == ["all", "last", "none"])
        #expect(rows.map(\.lastRun) == ["2026-03-10T03:00:00Z", "2026-03-10T03:00:00Z", nil])
        #expect(rows.allSatisfy { $0.nextRuns == ["2026-03-10T03:01:00Z"] })
        await cleanUp()
    }
}

struct ListRow: Decodable {
    let schedule: String
    let name: String
    let trigger: String
    let messageType: String
    let message: String
    let nextRuns: [String]
    let lastRun: String?
    let enabled: Bool
}
