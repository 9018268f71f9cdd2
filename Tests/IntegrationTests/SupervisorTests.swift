import Foundation
import Messenger
import MessengerConsole
import MessengerSQLite
import MessengerTestSupport
import Testing

/// The real supervisord (Debian's package) running `docker/worker/supervisord.conf` on a throw-away
/// project: messages flow, a worker killed with SIGKILL is restarted and loses nothing, and
/// `supervisorctl stop` lets the workers finish their message and exit 0; the web program serves the API.
@Suite("supervisord with docker/worker/supervisord.conf", .timeLimit(.minutes(3)))
struct SupervisorTests {
    static let configFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docker/worker/supervisord.conf").path

    static let config = TestProject.defaultConfig
        .replacingOccurrences(of: "retry_strategy: { max_retries: 2, delay: 50, jitter: 0 }", with: "options: { redeliver_timeout: 2 }\n      retry_strategy: { max_retries: 2, delay: 50, jitter: 0 }")
        .replacingOccurrences(of: "    high: 'sqlite://var/messenger.sqlite?queue_name=high'", with: "    async_mail: 'sqlite://var/messenger.sqlite?queue_name=async_mail'")

    struct Supervisor {
        let process: Process
        let output = OutputBuffer()
        let environment: [String: String]
        let reader: PipeReader
        /// The workers' metrics ports start with these digits (then their process number, 90 for the
        /// scheduler): 10000 to 19999, below the ephemeral ports that outgoing connections take
        /// (32768 and up) and the test servers' (20000 and up).
        let metricsPortPrefix = Int.random(in: 100...199)

        init(project: TestProject, runDirectory: TemporaryDirectory) throws {
            environment = ProcessInfo.processInfo.environment.merging([
                "APP_BINARY": AppProcess.binary, "APP_PROJECT_DIR": project.directory.path, "SUPERVISOR_RUN_DIR": runDirectory.path,
                "WEB_HOST": "127.0.0.1", "WEB_PORT": "0", "METRICS_ADDRESS_PREFIX": "127.0.0.1:\(metricsPortPrefix)",
            ]) { _, new in new }
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/supervisord")
            process.arguments = ["-c", SupervisorTests.configFile]
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            process.standardInput = FileHandle.nullDevice
            reader = PipeReader(pipe, into: output)
            try process.run()
        }

        /// Runs `supervisorctl ARGUMENTS` against this supervisord; returns its output.
        @discardableResult
        func control(_ arguments: String...) throws -> String {
            let control = Process()
            control.executableURL = URL(fileURLWithPath: "/usr/bin/supervisorctl")
            control.arguments = ["-c", SupervisorTests.configFile] + arguments
            control.environment = environment
            let pipe = Pipe()
            control.standardOutput = pipe
            control.standardError = pipe
            try control.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            control.waitUntilExit()
            return text
        }

        func waitFor(_ description: String, timeout: Duration = .seconds(60), _ condition: @escaping @Sendable (String) -> Bool) async throws {
            _ = try await output.waitFor(timeout: timeout, description: description, condition)
        }
    }

    /// The HTTP status of a GET, by curl (a process of its own: nothing to share with the test's threads).
    static func status(of url: String) throws -> String {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", url]
        let pipe = Pipe()
        curl.standardOutput = pipe
        try curl.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        return text
    }

    static func count(_ text: String, _ fragment: String) -> Int { text.components(separatedBy: fragment).count - 1 }

    /// A GET's body, by curl; nil when it fails.
    static func body(of url: String) throws -> String? {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sf", "--max-time", "10", url]
        let pipe = Pipe()
        curl.standardOutput = pipe
        try curl.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        return curl.terminationStatus == 0 ? text : nil
    }

    @Test("messages flow; kill -9 of a worker: restarted, nothing lost; supervisorctl stop: the message in hand finishes, exit 0")
    func supervised() async throws {
        let project = try TestProject(config: Self.config)
        let runDirectory = try TemporaryDirectory("supervisor")
        let supervisor = try Supervisor(project: project, runDirectory: runDirectory)
        try await supervisor.waitFor("three programs running") { text in
            ["messenger-consume_00 entered RUNNING", "messenger-consume_01 entered RUNNING", "scheduler entered RUNNING", "web entered RUNNING"]
                .allSatisfy(text.contains)
        }
        // The web program serves the API: /healthz answers without credentials, the API asks for them.
        try await supervisor.waitFor("the web program listening") { $0.contains("Serving the API and dashboard on http://127.0.0.1:") }
        let address = try #require(supervisor.output.text.firstMatch(of: /Serving the API and dashboard on (http:\/\/127\.0\.0\.1:\d+)/)?.1)
        #expect(try Self.status(of: "\(address)/healthz") == "200")
        #expect(try Self.status(of: "\(address)/api/queues") == "401")
        let queue = try project.transport(queue: "default")

        // Messages flow through both workers.
        for number in 0..<100 { _ = try await queue.send(Envelope(Probe(label: "flow\(number)", sleepMilliseconds: 5))) }
        try await supervisor.waitFor("100 messages handled") { Set(handledProbes($0).filter { $0.hasPrefix("flow") }).count == 100 }

        // Each worker serves its own metrics; together they count every message (each handler logs
        // before its worker counts it: the sum is read again until it settles, within seconds).
        let completed = #"messenger_messages_handled_total{transport="async",message_type="Messenger.Probe",outcome="completed"}"#
        var counted = 0.0
        let countDeadline = ContinuousClock.now + .seconds(10)
        repeat {
            let scrapes = try (0..<2).map { try Self.body(of: "http://127.0.0.1:\(supervisor.metricsPortPrefix)0\($0)/metrics") }
            #expect(scrapes.allSatisfy { $0 != nil }, "both workers' endpoints answer")
            counted = scrapes.compactMap { $0.map(MetricsEndpointTests.samples)?[completed] }.reduce(0, +)
        } while counted < 100 && ContinuousClock.now < countDeadline
        #expect(counted == 100)
        #expect(try Self.body(of: "http://127.0.0.1:\(supervisor.metricsPortPrefix)90/metrics") != nil, "the scheduler's endpoint answers")

        // A worker killed in the middle of a message: supervisor starts it again; the message comes back.
        for number in 0..<40 { _ = try await queue.send(Envelope(Probe(label: "kill\(number)", sleepMilliseconds: 50))) }
        try await supervisor.waitFor("a kill message started") { $0.contains("probe.label=kill") }
        let pidText = try supervisor.control("pid", "messenger-consume:messenger-consume_00")
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)), "supervisorctl pid said: \(pidText)")
        kill(pid, SIGKILL)
        try await supervisor.waitFor("the killed worker restarted") { text in
            guard let killed = text.range(of: "exited: messenger-consume_00 (terminated by SIGKILL") else { return false }
            return text[killed.upperBound...].contains("messenger-consume_00 entered RUNNING")
        }
        try await supervisor.waitFor("every kill message handled") { Set(handledProbes($0).filter { $0.hasPrefix("kill") }).count == 40 }
        // A message the killed worker handled without acknowledging is still stored: it comes back after
        // redeliver_timeout (2 s) and is handled again. No output announces an empty table: ask it.
        let deadline = ContinuousClock.now + .seconds(30)
        while try await queue.statistics().total > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await queue.statistics().total == 0)

        // A graceful stop while a slow message is in hand.
        _ = try await queue.send(Envelope(Probe(label: "slow", sleepMilliseconds: 1500)))
        try await supervisor.waitFor("the slow message started") { $0.contains("Probe started") && $0.contains("probe.label=slow") }
        let stopped = try supervisor.control("stop", "all")
        #expect(stopped.contains("messenger-consume_00: stopped") && stopped.contains("messenger-consume_01: stopped"), "\(stopped)")
        let log = supervisor.output.text
        #expect(handledProbes(log).contains("slow"))
        #expect(log.contains("stopped: messenger-consume_00 (exit status 0)"))
        #expect(log.contains("stopped: messenger-consume_01 (exit status 0)"))
        #expect(log.contains("stopped: scheduler (exit status 0)"))
        #expect(log.contains("stopped: web (exit status 0)"))
        #expect(try await queue.statistics().total == 0)

        try supervisor.control("shutdown")
        supervisor.process.waitUntilExit()
        supervisor.reader.waitForEnd()
        await queue.close()
        runDirectory.remove()
        project.remove()
    }
}
