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

    @Test("a SQLite file that cannot be opened: dispatch fails naming it; a worker logs it, retries, exits 0 at its time limit")
    func unopenableDatabase() async throws {
        var project = try TestProject()
        defer { project.remove() }
        try project.directory.write("blocked", "a file where a folder should be")
        project.environment["MESSENGER_TRANSPORT_DSN"] = "sqlite://blocked/messenger.sqlite"
        let dispatch = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "x"}"#)
        #expect(dispatch.status != 0)
        #expect(dispatch.stderr.contains("blocked/messenger.sqlite"))
        #expect(dispatch.stderr.contains("cannot open"))
        let worker = try await project.run("messenger:consume", "async", "--time-limit", "1", "--sleep", "0.1")
        #expect(worker.status == 0)
        #expect(worker.stderr.components(separatedBy: "Cannot receive from transport async").count - 1 >= 2)
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
}
