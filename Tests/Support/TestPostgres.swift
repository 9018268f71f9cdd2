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

    /// A table name no other test uses.
    public static func uniqueTable(_ prefix: String = "t") -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Runs `scripts/test-postgres ARGUMENT` (e.g. `restart`) against the test server.
    public static func control(_ argument: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/test-postgres")
        process.arguments = [argument]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSetupError(description: "scripts/test-postgres \(argument) failed") }
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
}
