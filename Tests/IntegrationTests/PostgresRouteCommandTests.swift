import Foundation
import Messenger
import MessengerConsole
import MessengerPostgres
import MessengerTestSupport
import Testing

/// The operators' commands on PostgreSQL, directly and through PgBouncer in transaction mode: each
/// runs in a process of its own, its statements on whatever server connection the pool gives.
@Suite("app operators' commands on PostgreSQL, direct and through PgBouncer", .timeLimit(.minutes(2)))
struct PostgresRouteCommandTests {
    @Test("set-up, dispatch, pause and resume, a parked message retried, stop-workers", arguments: PostgresRoute.allCases)
    func commands(route: PostgresRoute) async throws {
        // A server of its own: stop-workers stops every worker of the database (other suites run beside).
        let server = try await TestPostgres.startPrivateServer()
        do {
            try await runCommands(route: route, server: server)
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    private func runCommands(route: PostgresRoute, server: TestPostgres.PrivateServer) async throws {
        let queue = "q_" + UUID().uuidString.prefix(8).lowercased()
        let app = try PostgresProject(url: server.url, pgbouncerURL: route == .pgbouncer ? try #require(server.pgbouncerURL) as String : nil,
                                      extra: "queue_name=\(queue)", maxRetries: 0)
        #expect(try await app.run("messenger:setup-transports").status == 0)
        #expect(try await app.run("messenger:pause", "async").status == 0)
        #expect(try await app.run("messenger:dispatch", "Messenger.Probe", #"{"label": "ok"}"#).status == 0)
        #expect(try await app.run("messenger:dispatch", "Messenger.Probe", #"{"label": "flaky", "failAttempts": 1}"#).status == 0)
        let worker = try app.start("messenger:consume", "async", "--sleep", "0.1")
        try await worker.waitForLog("Consuming messages")
        #expect(try await app.transport(queue: queue).statistics().total == 2)
        #expect(try await app.run("messenger:resume", "async").status == 0)
        try await worker.waitForLog("probe.label=ok", timeout: .seconds(20))
        _ = try await worker.standardError.waitFor(timeout: .seconds(20), description: "the flaky probe parked") { $0.contains("flaky failed on purpose") }
        var failed: [FailedRow] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while failed.isEmpty, ContinuousClock.now < deadline {
            failed = try json([FailedRow].self, try await app.run("messenger:failed:show", "--format", "json").stdout)
        }
        let parked = try #require(failed.first)
        let retry = try await app.run("messenger:failed:retry", parked.id, "--force")
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(handledProbes(retry.stderr) == ["flaky"])
        #expect(try await app.run("messenger:stop-workers").status == 0)
        #expect(try await worker.waitForExit(timeout: .seconds(15)) == 0)
        #expect(worker.standardError.text.contains("Worker stopped (messenger:stop-workers)"))
        #expect(try await app.transport(queue: queue).statistics().total == 0)
        #expect(try await app.transport(queue: "failed").statistics().total == 0)
        await app.remove()
    }

    @Test("a consuming worker holds one server connection for its transports (async, failed, records) and one for LISTEN")
    func connectionBudget() async throws {
        // Its own application name, so that only this worker's sessions are counted (other suites run beside).
        let name = "budget_\(UInt32.random(in: 0...UInt32.max))"
        let app = try PostgresProject(extra: "application_name=\(name)")
        _ = try await app.transport().send(Envelope(Probe(label: "counted")))
        let worker = try app.start("messenger:consume", "async", "--sleep", "0.1")
        try await worker.waitForLog("Probe handled")
        let admin = try PostgresConnection(url: app.serverURL)
        let sessions = try await admin.query("SELECT query LIKE 'LISTEN%' FROM pg_stat_activity WHERE application_name = $1 ORDER BY 1", [.text(name)]).rows
        #expect(sessions == [["f"], ["t"]], "\(sessions)")
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
        await admin.close()
        await app.remove()
    }
}
