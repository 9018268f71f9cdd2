import Foundation
import Messenger
import MessengerConsole
import MessengerSQLite
import MessengerTestSupport
import Testing

/// `messenger:consume --metrics-address`: a real worker process scraped over HTTP.
@Suite("app worker metrics for Prometheus", .serialized)
struct MetricsEndpointTests {
    /// The samples of a Prometheus text exposition, by series (`name{labels}` as written).
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    static func scrape(_ port: Int, in project: TestProject) async throws -> (status: Int32, body: String) {
        let curl = try AppProcess(["-sS", "--max-time", "10", "http://127.0.0.1:\(port)/metrics"], directory: project.directory.path, executable: "/usr/bin/curl")
        let status = try await curl.waitForExit(timeout: .seconds(30))
        return (status, curl.standardOutput.text)
    }

    @Test("the worker's counts, durations and in-flight gauge, scraped from its endpoint after a known run; gone once it stops")
    func scrapedFromWorker() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let queue = try project.transport()
        for number in 1...4 { _ = try await queue.send(Envelope(Probe(label: "ok\(number)"))) }
        _ = try await queue.send(Envelope(Probe(label: "flaky", failAttempts: 1)))
        _ = try await queue.send(Envelope(Probe(label: "doomed", failAttempts: 10, unrecoverable: true)))
        let worker = try project.start("messenger:consume", "async", "--metrics-address", "127.0.0.1:0", "--sleep", "0.05")
        let serving = try await worker.waitForLog("Serving metrics on http://127.0.0.1:")
        let port = try #require(serving.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
        _ = try await worker.standardError.waitFor(timeout: .seconds(60), description: "five probes handled") {
            $0.components(separatedBy: "Probe handled").count - 1 == 5 && $0.contains("parked")
        }
        let scraped = try await Self.scrape(port, in: project)
        #expect(scraped.status == 0)
        let samples = Self.samples(scraped.body)
        let probe = #"transport="async",message_type="Messenger.Probe""#
        #expect(samples[#"messenger_messages_handled_total{\#(probe),outcome="completed"}"#] == 5, "\(scraped.body)")
        #expect(samples[#"messenger_messages_handled_total{\#(probe),outcome="retried"}"#] == 1)
        #expect(samples[#"messenger_messages_handled_total{\#(probe),outcome="parked"}"#] == 1)
        let failures = samples.filter { $0.key.hasPrefix("messenger_message_failures_total{\(probe),error_type=") }
        #expect(failures.values.reduce(0, +) == 2, "\(failures)")
        #expect(samples["messenger_message_handling_duration_seconds_count{\(probe)}"] == 7)
        #expect(samples["messenger_message_wait_duration_seconds_count{\(probe)}"] == 7)
        #expect(samples[#"messenger_messages_in_flight{transport="async"}"#] == 0)
        #expect(!scraped.body.contains("id=\""), "no id label")

        worker.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0)
        #expect(try await Self.scrape(port, in: project).status != 0, "the endpoint closes with the worker")
    }

    @Test("a malformed address, or one already in use: a clear error naming it and a non-zero exit")
    func badAddress() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let malformed = try await project.run("messenger:consume", "async", "--metrics-address", "localhost", "--time-limit", "1")
        #expect(malformed.status != 0)
        #expect(malformed.stderr.contains(#"--metrics-address: expected HOST:PORT or :PORT with a port from 0 to 65535, got "localhost""#), "\(malformed.stderr)")

        let first = try project.start("messenger:consume", "async", "--metrics-address", "127.0.0.1:0", "--time-limit", "30")
        let serving = try await first.waitForLog("Serving metrics on http://127.0.0.1:")
        let port = try #require(serving.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
        let second = try await project.run("messenger:consume", "async", "--metrics-address", "127.0.0.1:\(port)", "--time-limit", "1")
        #expect(second.status != 0)
        #expect(second.stderr.contains("cannot serve metrics on 127.0.0.1:\(port)"), "\(second.stderr)")
        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)
    }
}
