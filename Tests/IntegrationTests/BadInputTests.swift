import Foundation
import Messenger
import MessengerConsole
import MessengerSQLite
import MessengerTestSupport
import Testing

/// Mistakes an operator or a developer makes, each met by the real binary with a clear error.
@Suite("app bad input", .serialized)
struct BadInputTests {
    @Test("malformed YAML: non-zero exit, the file and the line")
    func malformedYAML() async throws {
        let project = try TestProject(config: "messenger:\n  transports:\n    async: [oops\n")
        defer { project.remove() }
        let result = try await project.run("messenger:stats")
        #expect(result.status != 0)
        #expect(result.stderr.contains("config/messenger.yaml:"))
        #expect(result.stderr.contains("malformed YAML"))
    }

    @Test("an unknown key and an unknown transport in routing are named")
    func unknownKeyAndTransport() async throws {
        let key = try TestProject(config: "messenger:\n  transport:\n    async: 'in-memory://'\n")
        defer { key.remove() }
        let keyResult = try await key.run("debug:messenger")
        #expect(keyResult.status != 0)
        #expect(keyResult.stderr.contains("config/messenger.yaml:2: messenger.transport: unknown key \"transport\""))
        let route = try TestProject(config: "messenger:\n  transports:\n    async: 'in-memory://'\n  routing:\n    Messenger.Probe: asynk\n")
        defer { route.remove() }
        let routeResult = try await route.run("messenger:consume", "async")
        #expect(routeResult.status != 0)
        #expect(routeResult.stderr.contains("unknown transport \"asynk\""))
    }

    @Test("a routed message type with no handler, or unknown to the application, stops the worker at start-up")
    func routedWithoutHandler() async throws {
        let project = try TestProject(config: "messenger:\n  transports:\n    async: 'in-memory://'\n  routing:\n    App.Typo: async\n")
        defer { project.remove() }
        let result = try await project.run("messenger:consume", "async")
        #expect(result.status != 0)
        #expect(result.stderr.contains("routing names App.Typo, a message type this application does not know"))
        let debug = try await project.run("debug:messenger")
        #expect(debug.stdout.contains("App.Typo"))
    }

    @Test("a DSN with an unknown scheme names it and the supported schemes, never the password")
    func unknownScheme() async throws {
        var project = try TestProject()
        defer { project.remove() }
        project.environment["MESSENGER_TRANSPORT_DSN"] = "redis://user:hunter2@localhost"
        let result = try await project.run("messenger:consume", "async")
        #expect(result.status != 0)
        #expect(result.stderr.contains("\"redis://\""))
        #expect(result.stderr.contains("sqlite://"))
        #expect(!result.stderr.contains("hunter2"))
    }

    @Test("messenger:dispatch with an unknown type or JSON that does not decode into it")
    func badDispatch() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let unknown = try await project.run("messenger:dispatch", "App.Nope", "{}")
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown message type \"App.Nope\""))
        #expect(unknown.stderr.contains("Messenger.Probe"))
        let badJSON = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": 5}"#)
        #expect(badJSON.status != 0)
        #expect(badJSON.stderr.contains("does not decode into Messenger.Probe"))
        #expect(badJSON.stderr.contains("label"))
        let notJSON = try await project.run("messenger:dispatch", "Messenger.Probe", "{nope")
        #expect(notJSON.status != 0)
    }

    @Test("an unknown receiver given to messenger:consume")
    func unknownReceiver() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let result = try await project.run("messenger:consume", "asink")
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown receiver \"asink\""))
        #expect(result.stderr.contains("async"))
    }

    @Test("stored rows that cannot be decoded are parked with the error; the worker keeps going")
    func garbageRows() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let queue = try project.transport()
        _ = try await queue.send(Envelope(Probe(label: "before")))
        try await queue.connection.execute("""
            INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at) VALUES ('{"label":', '{"type":"Messenger.Probe"}', 'default', 0, 0);
            INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at) VALUES ('{}', '{"type":"App.Gone"}', 'default', 0, 0);
            """)
        _ = try await queue.send(Envelope(Probe(label: "after")))
        let worker = try await project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(worker.status == 0)
        #expect(handledProbes(worker.stderr) == ["before", "after"])
        let failed = try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout)
        #expect(failed.count == 2)
        #expect(failed.contains { $0.type.contains("App.Gone") && $0.error?.contains("unknown message type \"App.Gone\"") == true })
        #expect(failed.contains { $0.type.contains("Messenger.Probe") && $0.error?.contains("cannot decode the body") == true })
    }

    @Test("a SQLite file that cannot be opened, or is not a database: dispatch fails naming it; a worker exits non-zero at start instead of retrying forever")
    func unopenableDatabase() async throws {
        var project = try TestProject()
        defer { project.remove() }
        try project.directory.write("blocked", "a file where a folder should be")
        try project.directory.write("var/notes.sqlite", String(repeating: "not a database, just text. ", count: 100))
        for (dsn, expected) in [("sqlite://blocked/messenger.sqlite", "cannot open"), ("sqlite://var/notes.sqlite", "not a database")] {
            project.environment["MESSENGER_TRANSPORT_DSN"] = dsn
            let path = String(dsn.dropFirst("sqlite://".count))
            let dispatch = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "x"}"#)
            #expect(dispatch.status != 0)
            #expect(dispatch.stderr.contains(path))
            #expect(dispatch.stderr.contains(expected))
            let worker = try await project.run("messenger:consume", "async", "--time-limit", "30", "--sleep", "0.1")
            #expect(worker.status != 0)
            #expect(worker.stderr.contains(path) && worker.stderr.contains(expected))
            #expect(!worker.stderr.contains("Consuming messages"))
        }
    }

    @Test("a database locked past its busy timeout: the worker logs it, and handles the message once the lock is gone")
    func lockedDatabase() async throws {
        var project = try TestProject()
        defer { project.remove() }
        project.environment["MESSENGER_TRANSPORT_DSN"] = "sqlite://var/messenger.sqlite?busy_timeout=50"
        let queue = try project.transport()
        _ = try await queue.send(Envelope(Probe(label: "waited")))
        try await queue.connection.execute("BEGIN IMMEDIATE")
        let worker = try project.start("messenger:consume", "async", "--limit", "1", "--sleep", "0.05")
        try await worker.waitForLog("is locked")
        try await queue.connection.execute("COMMIT")
        #expect(try await worker.waitForExit() == 0)
        #expect(handledProbes(worker.standardError.text) == ["waited"])
    }

    @Test("a project folder that does not exist, or a messenger.yaml missing, empty or a folder: a non-zero exit naming the path, nothing handled in the dispatching process")
    func missingConfiguration() async throws {
        var project = try TestProject()
        defer { project.remove() }
        let probe = #"{"label": "inline?"}"#
        func expectRefused(_ expected: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            for command in [["messenger:dispatch", "Messenger.Probe", probe], ["messenger:consume", "async", "--time-limit", "5"]] {
                let result = try await project.run(command)
                #expect(result.status != 0, "\(command[0]) exited 0", sourceLocation: sourceLocation)
                #expect(result.stderr.contains(expected), "\(result.stderr)", sourceLocation: sourceLocation)
                #expect(!result.stderr.contains("Probe started"), sourceLocation: sourceLocation)
            }
        }
        let nowhere = project.directory.file("no-such-project")
        project.environment["APP_PROJECT_DIR"] = nowhere
        try await expectRefused("the project folder \(nowhere) (APP_PROJECT_DIR) does not exist")
        project.environment["APP_PROJECT_DIR"] = nil

        let config = project.directory.file("config/messenger.yaml")
        try FileManager.default.removeItem(atPath: config)
        try await expectRefused("config/messenger.yaml: not found at \(config)")
        try project.directory.write("config/messenger.yaml", "")
        try await expectRefused("\(config) is empty")
        try project.directory.write("config/messenger.yaml", "# transports to come\n")
        try await expectRefused("\(config) is empty")
        try FileManager.default.removeItem(atPath: config)
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: false)
        try await expectRefused("\(config) is a folder, not a file")
        try FileManager.default.removeItem(atPath: config)
        try project.directory.write("config/messenger.yaml", TestProject.defaultConfig)

        try FileManager.default.createDirectory(atPath: project.directory.file(".env.local"), withIntermediateDirectories: false)
        try await expectRefused(".env.local: \(project.directory.file(".env.local")) is a folder, not a file")
        try FileManager.default.removeItem(atPath: project.directory.file(".env.local"))
        // Set right again, the same project works.
        #expect(try await project.run("messenger:dispatch", "Messenger.Probe", probe).status == 0)
    }

    @Test("a read-only SQLite file: a worker exits non-zero at start, naming it, instead of retrying forever")
    func readOnlyDatabase() async throws {
        var project = try TestProject()
        defer { project.remove() }
        _ = try await project.run("messenger:setup-transports")
        // File permissions do not bind root: the worker then runs as an unprivileged user.
        let unprivileged = getuid() == 0
        for path in [project.directory.path, project.directory.file("config"), project.directory.file("var")] { chmod(path, 0o555) }
        for path in [project.databasePath, project.directory.file("config/messenger.yaml"), project.directory.file(".env")] { chmod(path, 0o444) }
        defer { for path in [project.directory.path, project.directory.file("config"), project.directory.file("var")] { chmod(path, 0o755) } }
        if unprivileged { project.runAs = (uid: 65534, gid: 65534) }
        let worker = try await project.run("messenger:consume", "async", "--time-limit", "20")
        #expect(worker.status != 0)
        #expect(worker.stderr.contains(project.databasePath))
        #expect(worker.stderr.contains("readonly") || worker.stderr.contains("read-only") || worker.stderr.contains("unable to open"), "\(worker.stderr)")
        #expect(!worker.stderr.contains("Consuming messages"))
    }

    @Test("a stored body holding a NUL byte is parked whole, every byte kept")
    func nulByteKept() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let queue = try project.transport()
        try await queue.setup()
        try await queue.connection.execute("""
            INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at)
            VALUES ('{"label":"before' || char(0) || 'after"}', '{"type":"Messenger.Probe"}', 'default', 0, 0)
            """)
        let worker = try await project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(worker.status == 0)
        let parked = try await project.transport(queue: "failed").connection.query(
            "SELECT hex(CAST(body AS BLOB)) FROM messenger_messages WHERE queue_name = 'failed'")
        let hex = try #require(parked.first?[0].string)
        let body = String(decoding: stride(from: 0, to: hex.count, by: 2).compactMap { offset -> UInt8? in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)
        }, as: UTF8.self)
        // The parked row is an undecodable message whose JSON body holds the original, NUL escaped.
        #expect(body.contains(#"before\u0000after"#))
        let id = try #require(try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout).first?.id)
        #expect(try await project.run("messenger:failed:show", id).stdout.contains("{\"label\":\"before\u{0}after\"}"))
    }

    @Test("a stored body nested 100,000 deep is parked as too deeply nested, not as invalid JSON")
    func deeplyNestedJSON() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let queue = try project.transport()
        try await queue.setup()
        let deep = "{\"label\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        try await queue.connection.query("INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at) VALUES (?1, ?2, 'default', 0, 0)",
                                         [.text(deep), .text(#"{"type":"Messenger.Probe"}"#)])
        let worker = try await project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(worker.status == 0)
        let failed = try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout)
        #expect(failed.first?.error?.contains("nested more than 512 levels deep") == true, "\(failed.first?.error?.prefix(300) ?? "")")
    }
}
