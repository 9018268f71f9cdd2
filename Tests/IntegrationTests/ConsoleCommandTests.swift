import Foundation
import MessengerTestSupport
import Testing

/// The inspection commands of the real binary.
@Suite("app console commands", .serialized)
struct ConsoleCommandTests {
    struct DebugReport: Decodable {
        struct Row: Decodable {
            let message: String
            let handlers: [String]
            let routedTo: [String]
        }
        let bus: String
        let messages: [Row]
    }

    @Test("debug:messenger lists every type, its handlers and its routing")
    func debugMessenger() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let report = try json(DebugReport.self, try await project.run("debug:messenger", "--format", "json").stdout)
        let probe = try #require(report.messages.first { $0.message == "Messenger.Probe" })
        #expect(probe.handlers == ["MessengerConsole.ProbeHandler"])
        #expect(probe.routedTo == ["async"])
        let text = try await project.run("debug:messenger")
        #expect(text.stdout.contains("Messenger.Probe"))
        #expect(text.stdout.contains("async"))
    }

    @Test("messenger:setup-transports creates the SQLite file and tables before any message")
    func setupTransports() async throws {
        let project = try TestProject()
        defer { project.remove() }
        #expect(!FileManager.default.fileExists(atPath: project.databasePath))
        let result = try await project.run("messenger:setup-transports")
        #expect(result.status == 0)
        #expect(result.stdout.contains("The \"async\" transport was set up"))
        #expect(FileManager.default.fileExists(atPath: project.databasePath))
        let one = try await project.run("messenger:setup-transports", "failed")
        #expect(one.stdout.contains("\"failed\""))
        #expect(!one.stdout.contains("\"async\""))
    }

    @Test("messenger:stats shows totals per transport in a table and in JSON")
    func stats() async throws {
        let project = try TestProject()
        defer { project.remove() }
        _ = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "x"}"#)
        let table = try await project.run("messenger:stats")
        #expect(table.status == 0)
        let asyncLine = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("async ") })
        #expect(asyncLine.split(separator: " ", omittingEmptySubsequences: true).prefix(5) == ["async", "1", "1", "0", "0"])
    }

    @Test("a message dispatched from the shell and not routed is handled at once, in the command")
    func syncDispatch() async throws {
        let project = try TestProject(config: "messenger:\n  transports:\n    sync: 'sync://'\n")
        defer { project.remove() }
        let result = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "now"}"#)
        #expect(result.status == 0)
        #expect(result.stdout.contains("handled now by MessengerConsole.ProbeHandler"))
        #expect(handledProbes(result.stderr) == ["now"])
    }

    @Test("messenger:dispatch --priority: the prioritized probe is handled before those dispatched just before it; out of range is refused")
    func priorityDispatch() async throws {
        let project = try TestProject()
        defer { project.remove() }
        for label in ["first", "second"] { #expect(try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "\#(label)"}"#).status == 0) }
        #expect(try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "urgent"}"#, "--priority", "3").status == 0)
        let drained = try await project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(handledProbes(drained.stderr) == ["urgent", "first", "second"])
        let refused = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "x"}"#, "--priority", "101")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--priority must be from 0 to 100, got 101"), "\(refused.stderr)")
    }
}
