import Foundation
import Messenger
import MessengerConsole
import MessengerPostgres
import MessengerTestSupport
import Testing

/// A queue shared with a PHP Symfony application: real Symfony (Debian's php-symfony-messenger 5.4,
/// its Doctrine transport and JSON serializer, no framework) on one side, the `app` binary on the other.
@Suite("a queue shared with Symfony Messenger", .timeLimit(.minutes(3)))
struct SymfonyQueueTests {
    static let php = "/usr/bin/php"
    static var scripts: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Symfony").path
    }

    static func config() -> String {
        """
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
          routing:
            Messenger.Probe: async
        """
    }

    @Test("1,000 messages dispatched by Symfony's MessageBus into the PostgreSQL table are each handled once by two Swift workers")
    func phpToSwift() async throws {
        let app = try PostgresProject(config: Self.config())
        #expect(try await app.run("messenger:setup-transports").status == 0)
        // Doctrine DBAL's URL: the same server, its pgsql scheme.
        let dbal = app.serverURL.replacingOccurrences(of: "postgresql://", with: "pgsql://")
        let dispatched = try await AppProcess.run([Self.scripts + "/dispatch.php", dbal, app.table, "default", "1000"], directory: app.project.directory.path,
                                                  executable: Self.php)
        #expect(dispatched.status == 0 && dispatched.stdout.contains("dispatched 1000"), "\(dispatched.stdout) \(dispatched.stderr)")
        let workers = try (0..<2).map { _ in try app.start("messenger:consume", "async", "--sleep", "0.1") }
        // Either worker may write the last line: look at both (a wait on one's output alone would
        // not wake when the other finishes).
        let deadline = ContinuousClock.now + .seconds(60)
        while workers.reduce(0, { $0 + handledCount($1.standardError.text) }) < 1000, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(try await worker.waitForExit() == 0) }
        let handled = workers.flatMap { handledProbes($0.standardError.text) }
        #expect(handled.count == 1000 && Set(handled) == Set((0..<1000).map { "p\($0)" }), "\(handled.count) handled, \(Set(handled).count) distinct")
        #expect(workers.allSatisfy { handledCount($0.standardError.text) > 0 }, "the work was not shared")
        #expect(try await app.transport().statistics().total == 0)
        await app.remove()
    }

    @Test("1,000 messages stored by a Swift transport in Symfony's format are each handled once by Symfony's bus through its Doctrine transport")
    func swiftToPHP() async throws {
        let app = try PostgresProject(config: Self.config())
        #expect(try await app.run("messenger:setup-transports").status == 0)
        var registry = MessageRegistry()
        registry.register(ProbeHandler())
        var options = PostgresTransportOptions()
        options.tableName = app.table
        let queue = PostgresTransport(name: "async", info: try PostgresConnectionInfo(dsn: try DSN(parsing: app.serverURL)), options: options,
                                      serializer: SymfonySerializer(registry: registry, typeMap: SymfonyTypeMap(["App\\Message\\Probe": "Messenger.Probe"])))
        _ = try await queue.send(contentsOf: (0..<1000).map { Envelope(Probe(label: "s\($0)"), stamps: [BusNameStamp("messenger.bus.default"), MessageIdStamp()]) })
        let dbal = app.serverURL.replacingOccurrences(of: "postgresql://", with: "pgsql://")
        let consumed = try await AppProcess.run([Self.scripts + "/consume.php", dbal, app.table, "default", "1000"], directory: app.project.directory.path,
                                                timeout: .seconds(120), executable: Self.php)
        #expect(consumed.status == 0 && consumed.stdout.contains("done 1000"), "\(consumed.stdout.suffix(500)) \(consumed.stderr)")
        let handled = consumed.stdout.split(separator: "\n").filter { $0.hasPrefix("handled ") }.map { String($0.dropFirst("handled ".count)) }
        #expect(handled.count == 1000 && Set(handled) == Set((0..<1000).map { "s\($0)" }))
        #expect(try await queue.statistics().total == 0)
        await queue.close()
        await app.remove()
    }
}
