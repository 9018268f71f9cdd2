import Foundation
import Messenger
import MessengerConsole
import MessengerPostgres
import MessengerSQLite
import MessengerTestSupport
import Testing

/// A queue shared with a PHP Symfony application: real Symfony (Debian's php-symfony-messenger 5.4,
/// its Doctrine transport and JSON serializer, no framework) on one side, the `app` binary on the
/// other, on one PostgreSQL table or one SQLite file.
@Suite("a queue shared with Symfony Messenger", .timeLimit(.minutes(3)))
struct SymfonyQueueTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case postgres, sqlite
        var testDescription: String { rawValue }
    }

    @Test("1,000 messages dispatched by Symfony's MessageBus are each handled once by two Swift workers", arguments: Backend.allCases)
    func phpToSwift(backend: Backend) async throws {
        let queue = try await SharedQueue(backend)
        // 2 ms of work each, claimed 20 at a time, so that the two overlap; each stops after 600, so that both take part
        // whatever a loaded machine's start-up times.
        let dispatched = try await queue.php("dispatch.php", "default", "1000", "--sleep=2")
        #expect(dispatched.status == 0 && dispatched.stdout.contains("dispatched 1000"), "\(dispatched.stdout) \(dispatched.stderr)")
        let workers = try (0..<2).map { _ in try queue.project.start("messenger:consume", "async", "--sleep", "0.1", "--batch-size", "20", "--limit", "600") }
        try await OutputBuffer.waitFor(workers.map(\.standardError), timeout: .seconds(90), description: "1,000 probes handled") { logs in
            logs.reduce(0) { $0 + handledCount($1) } >= 1000
        }
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(try await worker.waitForExit() == 0) }
        let handled = workers.flatMap { handledProbes($0.standardError.text) }
        #expect(handled.count == 1000 && Set(handled) == Set((0..<1000).map { "p\($0)" }), "\(handled.count) handled, \(Set(handled).count) distinct")
        #expect(workers.allSatisfy { handledCount($0.standardError.text) > 0 }, "the work was not shared")
        #expect(try await queue.statistics().total == 0)
        await queue.remove()
    }

    @Test("1,000 messages stored by a Swift transport in Symfony's format are each handled once by Symfony's bus through its Doctrine transport",
          arguments: Backend.allCases)
    func swiftToPHP(backend: Backend) async throws {
        let queue = try await SharedQueue(backend)
        try await queue.send((0..<1000).map { Envelope(Probe(label: "s\($0)"), stamps: [BusNameStamp("messenger.bus.default"), MessageIdStamp()]) })
        let consumed = try await queue.php("consume.php", "default", "1000")
        #expect(consumed.status == 0 && consumed.stdout.contains("done 1000"), "\(consumed.stdout.suffix(500)) \(consumed.stderr)")
        let handled = SharedQueue.handledByPHP(consumed.stdout)
        #expect(handled.count == 1000 && Set(handled) == Set((0..<1000).map { "s\($0)" }))
        #expect(try await queue.statistics().total == 0)
        await queue.remove()
    }

    @Test("Symfony's worker and two Swift workers consume one queue together: 1,000 messages from both sides, each handled once",
          arguments: Backend.allCases)
    func consumedTogether(backend: Backend) async throws {
        let queue = try await SharedQueue(backend)
        // 2 ms of work each, so that the three workers overlap.
        #expect(try await queue.php("dispatch.php", "default", "500", "--sleep=2").status == 0)
        try await queue.send((0..<500).map { Envelope(Probe(label: "s\($0)", sleepMilliseconds: 2), stamps: [MessageIdStamp()]) })
        // Symfony's worker handles one and holds; the Swift workers start and handle one; then all three go on together
        // (whatever a loaded machine's start-up times, each side takes part).
        let php = try queue.startPHP("consume.php", "default", "0", "--pause=1")
        _ = try await php.standardOutput.waitFor(timeout: .seconds(60), description: "a message handled by PHP") { $0.contains("paused") }
        let workers = try (0..<2).map { _ in try queue.project.start("messenger:consume", "async", "--sleep", "0.1") }
        try await OutputBuffer.waitFor(workers.map(\.standardError), timeout: .seconds(60), description: "a message handled by Swift") { logs in
            logs.contains { handledCount($0) > 0 }
        }
        php.signal(SIGUSR1)
        try await OutputBuffer.waitFor([php.standardOutput] + workers.map(\.standardError), timeout: .seconds(90), description: "1,000 handled") { outputs in
            SharedQueue.handledByPHP(outputs[0]).count + outputs.dropFirst().reduce(0) { $0 + handledCount($1) } >= 1000
        }
        for process in [php] + workers { process.signal(SIGTERM) }
        for process in [php] + workers { #expect(try await process.waitForExit() == 0, "\(process.standardError.text.suffix(800))") }
        let byPHP = SharedQueue.handledByPHP(php.standardOutput.text), bySwift = workers.flatMap { handledProbes($0.standardError.text) }
        let all = byPHP + bySwift
        #expect(all.count == 1000 && Set(all) == Set((0..<500).map { "p\($0)" } + (0..<500).map { "s\($0)" }), "\(all.count) handled, \(Set(all).count) distinct")
        #expect(!byPHP.isEmpty && !bySwift.isEmpty, "PHP handled \(byPHP.count), Swift \(bySwift.count)")
        #expect(try await queue.statistics().total == 0)
        await queue.remove()
    }

    @Test("a message that fails in Swift is shown and retried by Symfony's failure commands; one that fails in PHP by this project's",
          arguments: Backend.allCases)
    func failuresBothWays(backend: Backend) async throws {
        let queue = try await SharedQueue(backend)
        // Swift parks; PHP shows and retries.
        try await queue.send([Envelope(Probe(label: "swift-parked", failAttempts: 1), stamps: [MessageIdStamp()])])
        let worker = try await queue.project.run("messenger:consume", "async", "--limit", "1")
        #expect(worker.status == 0 && worker.stderr.contains("parked in failure transport failed"), "\(worker.stderr.suffix(1000))")
        let shown = try await queue.php("failed.php", "failed", "show")
        #expect(shown.status == 0, "\(shown.stderr)")
        let line = try #require(shown.stdout.split(separator: "\n").first, "\(shown.stdout)")
        #expect(line.contains("App\\Message\\Probe error=MessengerConsole.ProbeFailure: ") && line.contains("probe swift-parked failed on purpose (attempt 1) from=async"),
                "\(line)")
        let retried = try await queue.php("failed.php", "failed", "retry")
        #expect(retried.status == 0 && SharedQueue.handledByPHP(retried.stdout) == ["swift-parked"], "\(retried.stdout) \(retried.stderr)")
        #expect(try await queue.statistics(queue: "failed").total == 0)

        // PHP parks; this project shows and retries.
        #expect(try await queue.php("dispatch.php", "default", "1", "--prefix=fail-php").status == 0)
        let consumed = try await queue.php("consume.php", "default", "1", "--failed=failed")
        #expect(consumed.stdout.contains("failed fail-php0"), "\(consumed.stdout) \(consumed.stderr)")
        let list = try await queue.project.run("messenger:failed:show", "--format", "json")
        #expect(list.status == 0, "\(list.stderr)")
        let views = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        let view = try #require(views.first, "\(list.stdout)")
        #expect(views.count == 1 && view["type"] as? String == "Messenger.Probe")
        #expect(view["errorType"] as? String == "RuntimeException" && view["error"] as? String == "the PHP handler refused fail-php0", "\(view)")
        #expect(view["originalTransport"] as? String == "async", "\(view)")
        let id = try #require(view["id"] as? String)
        let retry = try await queue.project.run("messenger:failed:retry", id, "--force")
        #expect(retry.status == 0 && handledProbes(retry.stderr) == ["fail-php0"], "\(retry.stdout) \(retry.stderr.suffix(1000))")
        #expect(try await queue.statistics(queue: "failed").total == 0)
        #expect(try await queue.statistics().total == 0)
        await queue.remove()
    }

    @Test("a delayed message waits on both sides: Symfony's DelayStamp read here, this project's delay read by Symfony", arguments: Backend.allCases)
    func delayedBothWays(backend: Backend) async throws {
        let queue = try await SharedQueue(backend)
        // From PHP, an hour: not due here.
        #expect(try await queue.php("dispatch.php", "default", "1", "--prefix=later", "--delay=3600000").status == 0)
        let waiting = try await queue.statistics()
        #expect(waiting.delayed == 1 && waiting.ready == 0, "\(waiting)")
        // From Swift, 3 s: Symfony does not see it before.
        let sent = Date()
        try await queue.send([Envelope(Probe(label: "soon"), stamps: [DelayStamp(milliseconds: 3000), MessageIdStamp()])])
        let counted = try await queue.php("count.php", "default")
        // (Checked when the count ended within the 3 s: a loaded machine may take longer.)
        if Date().timeIntervalSince(sent) < 3 {
            #expect(counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(counted.stdout) \(counted.stderr)")
        }
        let consumed = try await queue.php("consume.php", "default", "1")
        let handledAt = try #require(SharedQueue.handledTimes(consumed.stdout)["soon"], "\(consumed.stdout) \(consumed.stderr)")
        #expect(handledAt.timeIntervalSince(sent) >= 3, "handled \(handledAt.timeIntervalSince(sent)) s after it was sent")
        let left = try await queue.statistics()
        #expect(left.total == 1 && left.delayed == 1, "\(left)")
        await queue.remove()
    }

    @Test("a table Symfony's Doctrine transport made, with messages waiting, is taken over by messenger:setup-transports; both sides go on",
          arguments: Backend.allCases)
    func takesOverSymfonysTable(backend: Backend) async throws {
        let queue = try await SharedQueue(backend, setUp: false)
        let setup = try await queue.php("setup.php")
        #expect(setup.status == 0, "\(setup.stdout) \(setup.stderr)")
        #expect(try await queue.php("dispatch.php", "default", "3", "--prefix=before").status == 0)
        #expect(try await queue.php("dispatch.php", "default", "1", "--prefix=tomorrow", "--delay=86400000").status == 0)
        let adopted = try await queue.project.run("messenger:setup-transports")
        #expect(adopted.status == 0, "\(adopted.stdout) \(adopted.stderr)")
        // What waited is handled here; what is delayed still waits.
        let worker = try await queue.project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(worker.status == 0 && handledProbes(worker.stderr).sorted() == ["before0", "before1", "before2"], "\(worker.stderr.suffix(1000))")
        let waiting = try await queue.statistics()
        #expect(waiting.total == 1 && waiting.delayed == 1, "\(waiting)")
        // Symfony dispatches and consumes as before, beside this side's messages.
        #expect(try await queue.php("dispatch.php", "default", "2", "--prefix=after").status == 0)
        try await queue.send([Envelope(Probe(label: "swift"), stamps: [MessageIdStamp()])])
        let consumed = try await queue.php("consume.php", "default", "3")
        #expect(SharedQueue.handledByPHP(consumed.stdout).sorted() == ["after0", "after1", "swift"], "\(consumed.stdout) \(consumed.stderr)")
        #expect(try await queue.statistics().total == 1)
        await queue.remove()
    }

    @Test("a message Symfony's worker claimed is left to it, even one a dead Swift worker held before: only redeliver_timeout takes it back",
          arguments: Backend.allCases)
    func claimsRespected(backend: Backend) async throws {
        let queue = try await SharedQueue(backend)
        // A Swift worker claims both, starts them and is killed.
        try await queue.send(["one", "two"].map { Envelope(Probe(label: $0, sleepMilliseconds: 60_000, slowDeliveries: 1), stamps: [MessageIdStamp()]) })
        let killed = try queue.project.start("messenger:consume", "async", "--concurrency", "2")
        _ = try await killed.standardError.waitFor(timeout: .seconds(60), description: "both probes started") {
            $0.components(separatedBy: "Probe started").count == 3
        }
        killed.signal(SIGKILL)
        _ = try await killed.waitForExit()
        // Once its lease has run out (a Symfony worker would claim it only after redeliver_timeout, an
        // hour by default; 1 s here), Symfony's worker claims one of them and dies in turn.
        try await queue.waitUntilLeasesRanOut()
        let claimed = try await queue.php("claim.php", "default", "1")
        let byPHP = try #require(claimed.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(claimed.stdout) \(claimed.stderr)")
        let other = byPHP == "one" ? "two" : "one"
        // A Swift worker takes back the other once the dead worker is seen gone (and handles it, or
        // parks it when its start was certain: with max_retries 0 a start never acknowledged is one too
        // many); then one that stops when nothing is left to claim finds nothing: Symfony's claim holds.
        let survivor = try queue.project.start("messenger:consume", "async")
        _ = try await survivor.standardError.waitFor(timeout: .seconds(60), description: "the other probe taken back") {
            $0.contains("Probe handled") || $0.contains("parked in failure transport failed")
        }
        let after = try await queue.project.run("messenger:consume", "async", "--stop-when-empty")
        survivor.signal(SIGTERM)
        #expect(try await survivor.waitForExit() == 0)
        #expect(after.status == 0 && startedProbes(after.stderr).isEmpty, "\(after.stderr.suffix(800))")
        let log = survivor.standardError.text
        #expect(!log.contains("probe.label=\(byPHP)"), "\(log.suffix(1500))")
        let parked = try await queue.statistics(queue: "failed").total
        #expect(handledProbes(log) == [other] || (handledProbes(log).isEmpty && parked == 1), "\(log.suffix(1500))")
        let left = try await queue.statistics()
        #expect(left.total == 1 && left.inFlight == 1, "\(left)")
        await queue.remove()
    }

    @Test("a message whose PHP class has no type_map entry is parked with an error naming the class, readable again by Symfony", arguments: Backend.allCases)
    func unmappedClassParked(backend: Backend) async throws {
        let queue = try await SharedQueue(backend)
        #expect(try await queue.php("dispatch.php", "default", "1", "--class=Unmapped", "--prefix=u").status == 0)
        let worker = try await queue.project.run("messenger:consume", "async", "--limit", "1")
        #expect(worker.status == 0 && worker.stderr.contains("parked in failure transport failed"), "\(worker.stderr.suffix(1000))")
        let list = try await queue.project.run("messenger:failed:show", "--format", "json")
        let views = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []
        let view = try #require(views.first, "\(list.stdout) \(list.stderr)")
        #expect(view["type"] as? String == "Messenger.UndecodableMessage (App\\Message\\Unmapped)", "\(view)")
        #expect((view["error"] as? String)?.contains("unknown message type \"App\\Message\\Unmapped\": no type_map entry") == true, "\(view)")
        // Symfony still reads it as its class, with the error.
        let shown = try await queue.php("failed.php", "failed", "show")
        #expect(shown.stdout.contains("App\\Message\\Unmapped error=") && shown.stdout.contains("no type_map entry") && shown.stdout.contains("from=async"),
                "\(shown.stdout) \(shown.stderr)")
        #expect(try await queue.statistics(queue: "failed").total == 1)
        await queue.remove()
    }
}

/// One queue, two languages: a project whose `async` and `failed` transports speak Symfony's format
/// on a PostgreSQL table or an SQLite file, and Symfony's side of it (Tests/Symfony/*.php).
struct SharedQueue {
    let backend: SymfonyQueueTests.Backend
    let project: TestProject
    let table: String
    /// Doctrine DBAL's URL of the same database.
    let doctrineURL: String
    private let postgres: PostgresProject?

    static let php = "/usr/bin/php"
    static var scripts: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Symfony").path
    }
    static let typeMap = ["App\\Message\\Probe": "Messenger.Probe"]
    static let config = """
        messenger:
          failure_transport: failed
          transports:
            async:
              dsn: '%env(MESSENGER_TRANSPORT_DSN)%'
              serializer: symfony
              type_map: { 'App\\Message\\Probe': Messenger.Probe }
              retry_strategy: { max_retries: 0 }
            failed:
              dsn: '%env(MESSENGER_TRANSPORT_DSN)%'
              options: { queue_name: failed }
              serializer: symfony
              type_map: { 'App\\Message\\Probe': Messenger.Probe }
          routing:
            Messenger.Probe: async
        """

    /// A project on `backend`, its table made by `messenger:setup-transports` (unless `setUp` is false).
    init(_ backend: SymfonyQueueTests.Backend, setUp: Bool = true) async throws {
        self.backend = backend
        switch backend {
        case .postgres:
            let postgres = try PostgresProject(config: Self.config)
            self.postgres = postgres
            project = postgres.project
            table = postgres.table
            doctrineURL = postgres.serverURL.replacingOccurrences(of: "postgresql://", with: "pgsql://")
        case .sqlite:
            postgres = nil
            project = try TestProject(config: Self.config)
            table = "messenger_messages"
            doctrineURL = "sqlite:///" + project.databasePath
            try FileManager.default.createDirectory(atPath: project.directory.file("var"), withIntermediateDirectories: true)
        }
        guard setUp else { return }
        let setup = try await project.run("messenger:setup-transports")
        #expect(setup.status == 0, "\(setup.stderr)")
    }

    /// A transport of the queue in Symfony's format, as the application's own.
    func transport(queue: String = "default") throws -> any BatchSender & MessageCountingTransport & ClosableTransport {
        var registry = MessageRegistry()
        registry.register(ProbeHandler())
        let serializer = SymfonySerializer(registry: registry, typeMap: SymfonyTypeMap(Self.typeMap))
        if let postgres {
            var options = PostgresTransportOptions()
            options.tableName = postgres.table
            options.queueName = queue
            return PostgresTransport(name: queue, info: try PostgresConnectionInfo(dsn: try DSN(parsing: postgres.serverURL)), options: options, serializer: serializer)
        }
        var options = SQLiteTransportOptions()
        options.queueName = queue
        return SQLiteTransport(name: queue, connection: SQLiteConnection(path: project.databasePath), options: options, serializer: serializer)
    }

    func send(_ envelopes: [Envelope]) async throws {
        let transport = try transport()
        _ = try await transport.send(contentsOf: envelopes)
        await transport.close()
    }

    func statistics(queue: String = "default") async throws -> TransportStatistics {
        let transport = try transport(queue: queue)
        let statistics = try await transport.statistics()
        await transport.close()
        return statistics
    }

    /// Runs `php Tests/Symfony/SCRIPT DSN TABLE ARGUMENTS...` to its end.
    func php(_ script: String, _ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await AppProcess.run([Self.scripts + "/" + script, doctrineURL, table] + arguments, directory: project.directory.path,
                                 timeout: .seconds(120), executable: Self.php)
    }

    func startPHP(_ script: String, _ arguments: String...) throws -> AppProcess {
        try AppProcess([Self.scripts + "/" + script, doctrineURL, table] + arguments, directory: project.directory.path, executable: Self.php)
    }

    /// The labels PHP's handler printed ("handled LABEL MICROSECONDS"), in order.
    static func handledByPHP(_ output: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasPrefix("handled ") }.map { String($0.split(separator: " ")[1]) }
    }

    /// When PHP's handler handled each label.
    static func handledTimes(_ output: String) -> [String: Date] {
        Dictionary(output.split(separator: "\n").filter { $0.hasPrefix("handled ") }.compactMap { line -> (String, Date)? in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let microseconds = Double(fields[2]) else { return nil }
            return (String(fields[1]), Date(timeIntervalSince1970: microseconds / 1e6))
        }, uniquingKeysWith: { first, _ in first })
    }

    /// Waits until the claim leases of the workers holding rows have run out a second ago (Doctrine
    /// writes its claim time in whole seconds, rounded down) on PostgreSQL; on SQLite a Symfony claim
    /// is told apart at once.
    func waitUntilLeasesRanOut() async throws {
        guard let postgres else { return }
        let connection = PostgresConnection(info: try PostgresConnectionInfo(dsn: try DSN(parsing: postgres.serverURL)))
        let deadline = ContinuousClock.now + .seconds(30)
        while try await connection.query("""
            SELECT count(*) FROM messenger_claim_leases WHERE expires_at > now() - interval '1 second' AND owner IN (SELECT claimed_by FROM \(table))
            """).rows[0][0] != "0", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        await connection.close()
    }

    func remove() async {
        if let postgres { await postgres.remove() } else { project.remove() }
    }
}
