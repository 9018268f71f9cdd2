import Foundation

/// The throw-away PostgreSQL server that `scripts/test` starts (`scripts/test-postgres`).
public enum TestPostgres {
    /// Its URL; a test that needs it fails with a clear message when the suite was not started by scripts/test.
    public static var url: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["MESSENGER_TEST_POSTGRES_URL"] else {
                throw TestSetupError(description: "MESSENGER_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts a throw-away PostgreSQL")
            }
            return url
        }
    }

    /// The URL of the PgBouncer (transaction pooling mode) in front of it, which `scripts/test-postgres`
    /// starts too.
    public static var pgbouncerURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["MESSENGER_TEST_PGBOUNCER_URL"] else {
                throw TestSetupError(description: "MESSENGER_TEST_PGBOUNCER_URL is not set: run the tests with scripts/test, which starts PgBouncer (Debian's pgbouncer, installed by scripts/bootstrap --tests)")
            }
            return url
        }
    }

    /// A table name no other test uses.
    public static func uniqueTable(_ prefix: String = "t") -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A server of its own, for a test that restarts or stops it. Call `stop()` when done.
    public struct PrivateServer: Sendable {
        public let url: String
        let environment: [String: String]
        /// The PgBouncer (transaction mode) in front of it.
        public var pgbouncerURL: String? { environment["MESSENGER_TEST_PGBOUNCER_URL"] }

        public func restart() async throws { _ = try await TestPostgres.control("restart", environment) }
        public func stop() async { _ = try? await TestPostgres.control("stop", environment) }
    }

    /// Starts a private throw-away server with `scripts/test-postgres start`.
    public static func startPrivateServer() async throws -> PrivateServer {
        let output = try await control("start", [:])
        var environment: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let assignment = line.replacingOccurrences(of: "export ", with: "")
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            environment[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        guard let url = environment["MESSENGER_TEST_POSTGRES_URL"] else { throw TestSetupError(description: "scripts/test-postgres start printed no URL") }
        return PrivateServer(url: url, environment: environment)
    }

    @discardableResult
    static func control(_ argument: String, _ environment: [String: String]) async throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/test-postgres")
        process.arguments = [argument]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // A file, not a pipe: the server that `start` leaves running inherits the descriptor, so a pipe
        // would never reach its end.
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("test-postgres-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardInput = FileHandle.nullDevice
        let exited = AsyncStream.makeStream(of: Void.self)
        process.terminationHandler = { _ in exited.continuation.finish() }
        try process.run()
        for await _ in exited.stream {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else { throw TestSetupError(description: "scripts/test-postgres \(argument) failed") }
        return text
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
