import Foundation
import Messenger
import MessengerConsole
import MessengerPostgres
import MessengerTestSupport
import Testing

/// The real `app` binary on PostgreSQL, under the faults production brings: killed workers, a restarted
/// server, a killed LISTEN connection, garbage rows, wrong credentials.
@Suite("app workers on PostgreSQL under faults", .serialized, .timeLimit(.minutes(5)))
struct PostgresFaultTests {
    @Test("20,000 messages, 3 workers × --concurrency 4, a random worker SIGKILLed and restarted 10 times: none lost, duplicates only from killed workers",
          arguments: PostgresRoute.allCases)
    func killStorm(route: PostgresRoute) async throws {
        // A message in flight at three kills in a row would count as a poison message (parked after
        // max_retries deliveries, tested on its own); here every message must get through.
        let app = try route.project(maxRetries: 20)
        let queue = try app.transport()
        for start in stride(from: 0, to: 20_000, by: 5000) {
            _ = try await queue.send(contentsOf: (start..<start + 5000).map { Envelope(Probe(label: "m\($0)", sleepMilliseconds: 1)) })
        }
        // Batches of at most 100: the bound on duplicates below follows from it.
        func worker() throws -> AppProcess { try app.start("messenger:consume", "async", "--concurrency", "4", "--sleep", "0.1", "--batch-size", "100") }
        var live = try (0..<3).map { _ in try worker() }
        var killed: [AppProcess] = []
        // Kill k comes once all processes together have handled k × 1,500 messages: the tenth at
        // 15,000, so that the backlog never runs out before the storm ends.
        for kill in 1...10 {
            let slot = Int.random(in: 0..<3)
            let victim = live[slot]
            let others = live.filter { $0 !== victim } + killed
            _ = try await victim.standardError.waitFor(timeout: .seconds(60), description: "\(kill * 1500) messages handled") { text in
                handledCount(text) + others.reduce(0) { $0 + handledCount($1.standardError.text) } >= kill * 1500
            }
            victim.signal(SIGKILL)
            try await victim.waitForExit()
            killed.append(victim)
            live[slot] = try worker()
        }
        for process in live {
            try await process.waitForLog("Consuming messages")
            process.signal(SIGTERM)
        }
        for process in live {
            let status = try await process.waitForExit()
            #expect(status == 0, "exit \(status); log ends: \(process.standardError.text.suffix(1500))")
        }
        // What the killed workers held is claimed again by a last worker, once their leases ran out.
        let handledBefore = Set((killed + live).flatMap { handledProbes($0.standardError.text) })
        let drainer = try app.start("messenger:consume", "async", "--concurrency", "4", "--sleep", "0.2")
        _ = try await drainer.standardError.waitFor(timeout: .seconds(60), description: "the last messages") { text in
            handledBefore.union(handledProbes(text)).count == 20_000
        }
        // The live workers may have drained everything already: the drainer is signalled only once it
        // consumes, never in the instant before the process has installed its signal handling.
        try await drainer.waitForLog("Consuming messages")
        // Messages a killed worker handled but never acknowledged are still stored: the drainer takes
        // them back too (at-least-once). No output announces an empty table, so ask the database.
        let deadline = ContinuousClock.now + .seconds(30)
        while try await queue.statistics().total > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        drainer.signal(SIGTERM)
        let drainerStatus = try await drainer.waitForExit()
        #expect(drainerStatus == 0, "exit \(drainerStatus); log ends: \(drainer.standardError.text.suffix(3000))")

        let logs = (killed + live + [drainer]).map { handledProbes($0.standardError.text) }
        var counts: [String: Int] = [:]
        for label in logs.joined() { counts[label, default: 0] += 1 }
        #expect(counts.count == 20_000)
        #expect(Set(counts.keys) == Set((0..<20_000).map { "m\($0)" }))
        let fromKilled = Set(killed.flatMap { handledProbes($0.standardError.text) })
        let duplicates = counts.filter { $0.value > 1 }.map(\.key)
        #expect(duplicates.allSatisfy { fromKilled.contains($0) })
        // A kill repeats at most what its worker handled but had not acknowledged yet: the batch in
        // hand, the previous one (its acknowledgements travel with the claim read ahead, which may
        // not have committed), and the handlers running.
        #expect(duplicates.count <= 10 * (2 * 100 + 4))
        let stats = try await queue.statistics()
        #expect(stats.total == 0)
        #expect(try await app.transport(queue: "failed").statistics().total == 0)
        await app.remove()
    }

    @Test("a worker SIGKILLed in the middle of a handler: an idle worker on the same queue takes its message within 10 s", arguments: PostgresRoute.allCases)
    func killedWorkerRecoveredInSeconds(route: PostgresRoute) async throws {
        let app = try route.project()
        let queue = try app.transport()
        _ = try await queue.send(Envelope(Probe(label: "held", sleepMilliseconds: 3000)))
        let victim = try app.start("messenger:consume", "async")
        try await victim.waitForLog("Probe started", timeout: .seconds(10))
        let survivor = try app.start("messenger:consume", "async")
        try await survivor.waitForLog("Consuming messages")
        victim.signal(SIGKILL)
        try await victim.waitForExit()
        let killedAt = ContinuousClock.now
        try await survivor.waitForLog("Probe started", timeout: .seconds(10))
        let recovery = ContinuousClock.now - killedAt
        // worker_lease (5 s) after the victim's last renewal (each second), then the survivor's next look.
        #expect(recovery < .seconds(10))
        #expect(survivor.standardError.text.contains("delivered again (delivery 2)"))
        try await survivor.waitForLog("Probe handled", timeout: .seconds(10))
        survivor.signal(SIGTERM)
        #expect(try await survivor.waitForExit() == 0)
        #expect(handledProbes(survivor.standardError.text) == ["held"])
        #expect(try await queue.statistics().total == 0)
        await queue.close()
        await app.remove()
    }

    @Test("handlers that block every thread of a worker for 3 × worker_lease: its lease holds, no other worker takes its messages", arguments: PostgresRoute.allCases)
    func blockedThreadsKeepTheLease(route: PostgresRoute) async throws {
        let app = try route.project(extra: "worker_lease=2")
        let queue = try app.transport()
        // More handlers than threads in Swift's pool (one per core): all of them blocked at once.
        let handlers = ProcessInfo.processInfo.activeProcessorCount + 2
        _ = try await queue.send(contentsOf: (0..<handlers).map { Envelope(Probe(label: "b\($0)", blockMilliseconds: 6000)) })
        let blocked = try app.start("messenger:consume", "async", "--concurrency", String(handlers), "--batch-size", String(handlers))
        _ = try await blocked.standardError.waitFor(timeout: .seconds(20), description: "every probe started") { $0.components(separatedBy: "Probe started").count - 1 == handlers }
        let other = try app.start("messenger:consume", "async", "--sleep", "0.1")
        try await other.waitForLog("Consuming messages")
        _ = try await blocked.standardError.waitFor(timeout: .seconds(30), description: "every probe handled") { handledCount($0) == handlers }
        other.signal(SIGTERM)
        blocked.signal(SIGTERM)
        #expect(try await other.waitForExit() == 0)
        #expect(try await blocked.waitForExit() == 0)
        #expect(!other.standardError.text.contains("Probe started"), "the other worker took a blocked worker's message")
        #expect(!blocked.standardError.text.contains("lease had run out"))
        #expect(try await queue.statistics().total == 0)
        await queue.close()
        await app.remove()
    }

    @Test("one worker whose connections are terminated fifteen times mid-run: no message handled twice, none lost, none left claimed",
          arguments: PostgresRoute.allCases)
    func connectionsTerminated(route: PostgresRoute) async throws {
        // Through PgBouncer, a server connection that ran this worker's transaction may run another
        // client's next: a server of its own, then.
        let server = route == .pgbouncer ? try await TestPostgres.startPrivateServer() : nil
        do {
            try await terminateDuringRun(server)
            await server?.stop()
        } catch {
            await server?.stop()
            throw error
        }
    }

    private func terminateDuringRun(_ server: TestPostgres.PrivateServer?) async throws {
        // Its own application name, so that only this worker's sessions are ended (other suites run beside).
        let name = "terminated_\(UInt32.random(in: 0...UInt32.max))"
        let app = try PostgresProject(url: server?.url, pgbouncerURL: server?.pgbouncerURL, extra: "application_name=\(name)")
        let queue = try app.transport()
        _ = try await queue.send(contentsOf: (0..<3000).map { Envelope(Probe(label: "t\($0)", sleepMilliseconds: 2)) })
        let worker = try app.start("messenger:consume", "async", "--concurrency", "4", "--sleep", "0.1")
        let admin = try PostgresConnection(url: app.serverURL)
        // Often enough to end a session while a claim read ahead is being split (its rows in hand must
        // be handled, the others given back even when that release fails).
        for round in 1...15 {
            _ = try await worker.standardError.waitFor(timeout: .seconds(60), description: "\(round * 150) messages handled") { handledCount($0) >= round * 150 }
            // The worker's sessions ended by the previous round may not be back yet: end them once one is.
            var ended = 0
            let deadline = ContinuousClock.now + .seconds(10)
            while ended == 0 && ContinuousClock.now < deadline {
                ended = try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [.text(name)]).count
                if ended == 0 { try await Task.sleep(for: .milliseconds(5)) }
            }
            #expect(ended >= 1)
        }
        _ = try await worker.standardError.waitFor(timeout: .seconds(120), description: "every message") { Set(handledProbes($0)).count == 3000 }
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
        let handled = handledProbes(worker.standardError.text)
        #expect(handled.count == 3000, "\(handled.count - Set(handled).count) message(s) handled twice")
        #expect(Set(handled) == Set((0..<3000).map { "t\($0)" }))
        // No message was delivered again (the worker's redelivery warning; acknowledgements whose flush
        // failed wait for the next claim and are written with it).
        #expect(!worker.standardError.text.contains("Message delivered again"))
        await queue.close()
        #expect(try await app.transport().statistics().total == 0)
        #expect(try await app.transport(queue: "failed").statistics().total == 0)
        await admin.close()
        await app.remove()
    }

    @Test("a session holds the table (a migration's ACCESS EXCLUSIVE lock): dispatch fails saying so; a worker asked to stop exits within seconds")
    func tableLocked() async throws {
        let app = try PostgresProject()
        let queue = try app.transport()
        try await queue.setup()
        let migration = try PostgresConnection(url: app.url)
        try await migration.execute("BEGIN; LOCK TABLE \(app.table) IN ACCESS EXCLUSIVE MODE")
        let dispatch = try await app.run("messenger:dispatch", "Messenger.Probe", #"{"label": "blocked"}"#)
        #expect(dispatch.status != 0)
        #expect(dispatch.stderr.contains("timed out after 2000 ms waiting for a lock on table \(app.table)"), "\(dispatch.stderr)")
        let worker = try app.start("messenger:consume", "async", "--sleep", "0.1")
        // Its claim waits for the lock, gives up after lock_timeout and says why.
        try await worker.waitForLog("waiting for a lock on table \(app.table)", timeout: .seconds(20))
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit(timeout: .seconds(15)) == 0)
        try await migration.execute("ROLLBACK")
        await migration.close()
        // The lock gone, both work again.
        #expect(try await app.run("messenger:dispatch", "Messenger.Probe", #"{"label": "after"}"#).status == 0)
        let drained = try await app.run("messenger:consume", "async", "--stop-when-empty")
        #expect(handledProbes(drained.stderr) == ["after"])
        await queue.close()
        await app.remove()
    }

    @Test("PostgreSQL restarted mid-run: the worker logs it, reconnects and carries on; nothing is lost", arguments: PostgresRoute.allCases)
    func serverRestart(route: PostgresRoute) async throws {
        let server = try await TestPostgres.startPrivateServer()
        do {
            try await restartDuringRun(server, route: route)
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    private func restartDuringRun(_ server: TestPostgres.PrivateServer, route: PostgresRoute) async throws {
        let app = try PostgresProject(url: server.url, pgbouncerURL: route == .pgbouncer ? try #require(server.pgbouncerURL) as String : nil)
        let queue = try app.transport()
        _ = try await queue.send(contentsOf: (0..<3000).map { Envelope(Probe(label: "r\($0)", sleepMilliseconds: 2)) })
        let worker = try app.start("messenger:consume", "async", "--concurrency", "4", "--sleep", "0.1")
        _ = try await worker.standardError.waitFor(timeout: .seconds(60), description: "first 500 messages") { handledCount($0) >= 500 }
        try await server.restart()
        _ = try await worker.standardError.waitFor(timeout: .seconds(120), description: "the other messages") { text in
            Set(handledProbes(text)).count == 3000
        }
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
        let log = worker.standardError.text
        // Through PgBouncer the client's connection may outlive the restart: PgBouncer reconnects.
        if route == .direct { #expect(log.contains("Reconnected to PostgreSQL at")) }
        // The test's own connection was cut by the restart too: check with a new one.
        await queue.close()
        #expect(try await app.transport().statistics().total == 0)
        await app.remove()
    }

    @Test("the LISTEN connection killed with pg_terminate_backend: wake-ups resume, an idle worker starts a new message at once")
    func listenConnectionKilled() async throws {
        let app = try PostgresProject(extra: "check_delayed_interval=600000")
        let queue = try app.transport()
        try await queue.setup()
        let worker = try app.start("messenger:consume", "async", "--sleep", "600")
        let admin = try PostgresConnection(url: app.url)
        let listening = "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN \"\(app.table)\"'"
        while try await admin.query(listening).rows[0][0] != "1" { await Task.yield() }
        _ = try await queue.send(Envelope(Probe(label: "before")))
        try await worker.waitForLog("probe.label=before", timeout: .seconds(10))
        try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN \"\(app.table)\"'")
        try await worker.waitForLog("LISTEN connection", timeout: .seconds(10))
        while try await admin.query(listening).rows[0][0] != "1" { await Task.yield() }
        _ = try await queue.send(Envelope(Probe(label: "after")))
        try await worker.waitForLog("Probe handled message.id=2", timeout: .seconds(10))
        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
        #expect(handledProbes(worker.standardError.text) == ["before", "after"])
        await admin.close()
        await queue.close()
        await app.remove()
    }

    @Test("rows with garbage body or headers are parked with the decoding error; the worker carries on")
    func garbageRows() async throws {
        let app = try PostgresProject()
        let queue = try app.transport()
        _ = try await queue.send(Envelope(Probe(label: "before")))
        try await queue.connection.execute("""
            INSERT INTO \(app.table) (body, headers, queue_name, available_at) VALUES
            ('{"label":', '{"type":"Messenger.Probe"}', 'default', now()), ('{}', '{"type":"App.Gone"}', 'default', now())
            """)
        _ = try await queue.send(Envelope(Probe(label: "after")))
        let worker = try await app.run("messenger:consume", "async", "--stop-when-empty")
        #expect(worker.status == 0)
        #expect(Set(handledProbes(worker.stderr)) == ["before", "after"])
        let failed = try json([FailedRow].self, try await app.run("messenger:failed:show", "--format", "json").stdout)
        #expect(failed.count == 2)
        #expect(failed.contains { $0.error?.contains("unknown message type \"App.Gone\"") == true })
        #expect(failed.contains { $0.error?.contains("cannot decode the body") == true })
        await queue.close()
        await app.remove()
    }

    @Test("a wrong password or an unknown database: a clear error and a non-zero exit, password never shown")
    func badCredentials() async throws {
        let url = try TestPostgres.url
        for (bad, expected) in [
            (url.replacingOccurrences(of: ":messenger-test@", with: ":wrong-secret@"), "password authentication failed"),
            (String(url.dropLast("postgres".count)) + "no_such_db", "does not exist"),
        ] {
            let app = try PostgresProject(url: bad)
            let result = try await app.run("messenger:consume", "async")
            #expect(result.status != 0)
            #expect(result.stderr.contains(expected))
            #expect(!result.stderr.contains("wrong-secret"))
            #expect(!result.stderr.contains("messenger-test"))
            app.project.remove()
        }
    }
}
