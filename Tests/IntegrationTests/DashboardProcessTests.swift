import Foundation
import Messenger
import MessengerConsole
import MessengerSQLite
import MessengerTestSupport
import Testing

/// `app serve` as a process: driven by a real browser (Debian's chromium through chromium-driver and
/// selenium), checked against its OpenAPI document by schemathesis, stopped by SIGTERM. The Python
/// tools live in `.build/test-tools` (`scripts/bootstrap --tests`, run by `scripts/test`).
@Suite("app serve: a real browser, schemathesis, SIGTERM", .timeLimit(.minutes(5)))
struct DashboardProcessTests {
    static let config = """
        messenger:
          failure_transport: failed
          transports:
            async:
              dsn: 'sqlite://var/messenger.sqlite?queue_name=async'
              retry_strategy: { max_retries: 0 }
            failed: 'sqlite://var/messenger.sqlite?queue_name=failed'
          routing:
            Messenger.Probe: async
            'App.*': async
        """
    /// A heartbeat probe every 10 minutes, among others.
    static let schedule = SchedulerCommandTests.schedule

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `TEST_TOOLS`, else the package's `.build/test-tools`; a missing tool fails the test saying how to get it.
    static func tool(_ name: String) throws -> String {
        let folder = ProcessInfo.processInfo.environment["TEST_TOOLS"] ?? packageRoot.appendingPathComponent(".build/test-tools").path
        let path = folder + "/bin/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSetupError(description: "\(path) is missing: run scripts/bootstrap --tests (scripts/test does)")
        }
        return path
    }

    /// Where screenshots go: `TEST_ARTIFACTS`, else `.build/test-artifacts`.
    static func artifacts(_ name: String) -> String {
        let folder = ProcessInfo.processInfo.environment["TEST_ARTIFACTS"] ?? packageRoot.appendingPathComponent(".build/test-artifacts").path
        return folder + "/" + name
    }

    func project() throws -> TestProject {
        let project = try TestProject(config: Self.config, dotenv: "")
        try project.directory.write("config/scheduler.yaml", Self.schedule)
        return project
    }

    /// Dispatches a probe with `messenger:dispatch`; returns its public id.
    func dispatch(_ project: TestProject, _ payload: String) async throws -> String {
        let sent = try await project.run("messenger:dispatch", "Messenger.Probe", payload)
        #expect(sent.status == 0, "\(sent.stderr)")
        return try #require(sent.stdout.firstMatch(of: /\(id ([0-9a-f-]+),/)?.1).description
    }

    /// Starts `app serve --port 0`; returns it with its base URL once it listens.
    func serve(_ project: TestProject) async throws -> (AppProcess, String) {
        let server = try project.start("serve", "--port", "0")
        let line = try await server.waitForLog("Serving the API and dashboard on http://127.0.0.1:", timeout: .seconds(30))
        let port = try #require(line.firstMatch(of: /http:\/\/127\.0\.0\.1:([0-9]+)\//)?.1)
        return (server, "http://127.0.0.1:\(port)")
    }

    @Test("a browser logs in by keyboard, retries a failed message and sees it complete, cancels a running probe, pauses and resumes a queue, runs a schedule now; phone width and dark scheme")
    func browser() async throws {
        let project = try project()
        let (user, password) = ("ada", "a-long-admin-password")
        let created = try await project.run(["dashboard:user", user, "--role", "admin"], input: password + "\n")
        #expect(created.status == 0, "\(created.stderr)")
        let queue = try project.transport(queue: "async")
        let failingId = try await dispatch(project, #"{"label": "flaky", "failAttempts": 1, "unrecoverable": true}"#)
        let runningId = try await dispatch(project, #"{"label": "long", "sleepMilliseconds": 600000}"#)
        let worker = try project.start("messenger:consume", "async", "--concurrency", "2", "--sleep", "0.1")
        try await worker.waitForLog("Message parked in failure transport")
        try await worker.waitForLog("probe.label=long")
        let (server, base) = try await serve(project)

        let shots = Self.artifacts("dashboard")
        try? FileManager.default.removeItem(atPath: shots)
        let browser = try await AppProcess.run(
            [Self.packageRoot.appendingPathComponent("Tests/Browser/dashboard_walkthrough.py").path, base, user, password, shots,
             failingId, runningId],
            directory: project.directory.path, timeout: .seconds(240), executable: try Self.tool("python")
        )
        #expect(browser.status == 0, "the browser walkthrough failed:\n\(browser.stdout)\(browser.stderr)\nserver:\n\(server.standardError.text)")
        #expect(browser.stdout.contains("OK 14 screenshots"))
        let pictures = try FileManager.default.contentsOfDirectory(atPath: shots).filter { $0.hasSuffix(".png") }
        #expect(pictures.count == 14, "\(pictures.sorted())")

        // What the browser did, seen from outside it: the retried message completed in the serving
        // process, the worker stopped the long probe, the queue runs again and took the scheduled run.
        #expect(try await queue.record(id: failingId)?.status == .completed)
        #expect(try await queue.record(id: runningId)?.status == .cancelled)
        try await worker.waitForLog("probe.label=heartbeat")
        _ = try await worker.standardError.waitFor(timeout: .seconds(30), description: "the heartbeat handled") { handledProbes($0).contains("heartbeat") }
        #expect(try await queue.pausedQueues().isEmpty)

        server.signal(SIGTERM)
        worker.signal(SIGTERM)
        #expect(try await server.waitForExit(timeout: .seconds(15)) == 0)
        #expect(try await worker.waitForExit(timeout: .seconds(15)) == 0)
        await queue.close()
        project.remove()
    }

    @Test("the OpenAPI document holds against the running server: schemathesis, every check, all phases")
    func openAPI() async throws {
        let project = try project()
        let token = try await project.run("dashboard:token", "schemathesis", "--role", "admin")
        #expect(token.status == 0, "\(token.stderr)")
        for index in 0..<3 { _ = try await dispatch(project, #"{"label": "p\#(index)", "failAttempts": \#(index == 0 ? 1 : 0)}"#) }
        _ = try await project.run("messenger:consume", "async", "--stop-when-empty")
        _ = try await dispatch(project, #"{"label": "waiting"}"#)
        let (server, base) = try await serve(project)
        let run = try await AppProcess.run(
            ["--config-file", Self.packageRoot.appendingPathComponent("Tests/OpenAPI/schemathesis.toml").path, "run", base + "/api/openapi.yaml",
             "--header", "Authorization: Bearer \(token.stdout.trimmingCharacters(in: .whitespacesAndNewlines))",
             "--checks", "all", "--max-examples", "40",
             // One worker: hypothesis's strategy descriptions are not thread-safe (a rare FlakyFailure with two).
             "--workers", "1", "--seed", "\(UInt32.random(in: 0...UInt32.max))", "--no-color"],
            directory: project.directory.path, timeout: .seconds(240), executable: try Self.tool("st")
        )
        #expect(run.status == 0, "schemathesis found failures:\n\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains(" passed"))
        #expect(!server.standardError.text.contains("failed to answer"), "\(server.standardError.text)")
        server.signal(SIGTERM)
        #expect(try await server.waitForExit(timeout: .seconds(15)) == 0)
        project.remove()
    }

    @Test("SIGTERM: a request in progress is answered, then the server exits 0")
    func gracefulShutdown() async throws {
        // Probes handled at once by the serving process (no route): the request lasts as long as the probe.
        let project = try TestProject(config: Self.config.replacingOccurrences(of: "    Messenger.Probe: async\n", with: ""), dotenv: "")
        let token = try await project.run("dashboard:token", "shutdown", "--role", "admin")
        #expect(token.status == 0, "\(token.stderr)")
        let (server, base) = try await serve(project)
        let curl = try AppProcess(
            ["-s", "-w", "\n%{http_code}", "--max-time", "30", "-H", "Authorization: Bearer \(token.stdout.trimmingCharacters(in: .whitespacesAndNewlines))",
             "-H", "Content-Type: application/json", "-d", #"{"type": "Messenger.Probe", "payload": {"label": "slow", "sleepMilliseconds": 1500}}"#,
             base + "/api/messages"],
            directory: project.directory.path, executable: "/usr/bin/curl"
        )
        try await server.waitForLog("probe.label=slow")
        server.signal(SIGTERM)
        #expect(try await curl.waitForExit(timeout: .seconds(30)) == 0)
        #expect(curl.standardOutput.text.hasSuffix("\n200"), "\(curl.standardOutput.text)")
        #expect(curl.standardOutput.text.contains(#""status":"completed""#), "\(curl.standardOutput.text)")
        #expect(try await server.waitForExit(timeout: .seconds(15)) == 0)
        #expect(handledProbes(server.standardError.text) == ["slow"])
        project.remove()
    }
}
