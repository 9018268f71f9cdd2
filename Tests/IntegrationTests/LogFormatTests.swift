import Foundation
import Logging
import Messenger
@testable import MessengerConsole
import MessengerSQLite
import MessengerTestSupport
import Testing

/// `--log-format json` / `LOG_FORMAT=json`: one JSON object per log line, from the real `app`.
@Suite("JSON log lines")
struct LogFormatTests {
    /// Every line of `text` parsed as a JSON object (a line that is not one fails the test).
    static func objects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }

    @Test("a worker logs one JSON object per line: time, level, label, message, metadata; LOG_FORMAT=json does the same")
    func worker() async throws {
        var project = try TestProject()
        defer { project.remove() }
        _ = try await project.transport().send(Envelope(Probe(label: "quote \" and\nnewline")))
        let consumed = try await project.run("messenger:consume", "async", "--stop-when-empty", "-v", "--log-format", "json")
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let lines = try Self.objects(consumed.stderr)
        #expect(lines.count >= 3)
        for line in lines {
            #expect(line["time"] is String && line["level"] is String && line["label"] is String && line["message"] is String)
        }
        let handled = try #require(lines.first { $0["message"] as? String == "Probe handled" })
        let metadata = try #require(handled["metadata"] as? [String: Any])
        #expect(metadata["probe.label"] as? String == "quote \" and\nnewline")
        #expect(metadata["message.type"] as? String == "Messenger.Probe")
        #expect(handled["level"] as? String == "notice" && handled["label"] as? String == "messenger")
        #expect(((handled["time"] as? String).flatMap { try? Date($0, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) }) != nil)

        project.environment["LOG_FORMAT"] = "json"
        _ = try await project.transport().send(Envelope(Probe(label: "again")))
        let again = try await project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(try Self.objects(again.stderr).contains { $0["message"] as? String == "Probe handled" })
        // The option wins over the variable.
        let human = try await project.run("messenger:consume", "async", "--stop-when-empty", "--log-format", "human")
        #expect(human.stderr.contains(" NOTICE [messenger.worker] "))
    }

    @Test("a LOG_FORMAT or --log-format that is neither human nor json is refused, naming it")
    func badFormat() async throws {
        var project = try TestProject()
        defer { project.remove() }
        let option = try await project.run("messenger:stats", "--log-format", "xml")
        #expect(option.status != 0 && option.stderr.contains("xml"))
        project.environment["LOG_FORMAT"] = "logfmt"
        let variable = try await project.run("messenger:stats")
        #expect(variable.status != 0 && variable.stderr.contains("LOG_FORMAT must be human or json, got \"logfmt\""))
    }

    @Test("JSON strings escape quotes, backslashes and control characters; nested metadata stays structured")
    func encoding() throws {
        let line = JSONLogLine.line(time: Date(timeIntervalSince1970: 0), level: .error, label: "a\"b", message: "tab\there\u{1}",
                                       metadata: ["list": .array(["x", .dictionary(["k": "v"])]), "n": .stringConvertible(42)])
        #expect(line == #"{"time":"1970-01-01T00:00:00.000Z","level":"error","label":"a\"b","message":"tab\there\u0001","metadata":{"list":["x",{"k":"v"}],"n":"42"}}"# + "\n")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(parsed["message"] as? String == "tab\there\u{1}")
    }
}
