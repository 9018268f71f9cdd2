import Foundation
import Messenger
import MessengerSQLite
import MessengerTestSupport
import Testing

/// OpenTelemetry end to end: `app` processes export over OTLP/HTTP (swift-otel) to a local receiver
/// that decodes the protobuf.
@Suite("app tracing through OpenTelemetry (OTLP/HTTP)", .serialized)
struct TracingProcessTests {
    struct ExportedSpan: Decodable {
        let service: String?
        let name: String
        let kind: Int
        let traceId: String
        let spanId: String
        let parentSpanId: String
        let attributes: [String: AttributeValue]
        let links: [Link]
        let status: Int

        struct Link: Decodable, Equatable {
            let traceId: String
            let spanId: String
        }

        enum AttributeValue: Decodable, Equatable {
            case text(String), number(Int), flag(Bool)
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let flag = try? container.decode(Bool.self) { self = .flag(flag) } else if let number = try? container.decode(Int.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
            }
        }
    }

    static func spans(_ output: String) throws -> [ExportedSpan] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try output.split(separator: "\n").filter { $0.hasPrefix("SPAN ") }.map { try decoder.decode(ExportedSpan.self, from: Data($0.dropFirst(5).utf8)) }
    }

    @Test("a message dispatched by one process and handled by another: one trace, send (PRODUCER) then process (CONSUMER) child of and linked to it; the worker's JSON log lines carry its ids")
    func dispatchedAndHandledAcrossProcesses() async throws {
        let receiver = try await PythonServer(script: OTLPReceiver.script, what: "the OTLP receiver (opentelemetry-proto)",
                                              interpreter: try DashboardProcessTests.tool("python"))
        defer { receiver.stop() }
        var project = try TestProject()
        defer { project.remove() }
        project.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:\(receiver.port)"
        project.environment["OTEL_SERVICE_NAME"] = "student-support-web"
        let dispatched = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "traced"}"#)
        #expect(dispatched.status == 0, "\(dispatched.stderr)")
        let messageId = try #require(dispatched.stdout.firstMatch(of: /\(id ([0-9a-f-]+),/)?.1).description
        // The exporter flushes as the process ends: the span is there once the command has returned.
        _ = try await receiver.output.waitFor(timeout: .seconds(30), description: "the send span") { $0.contains(#""name": "send async""#) }

        project.environment["OTEL_SERVICE_NAME"] = "student-support-worker"
        let consumed = try await project.run("messenger:consume", "async", "--limit", "1", "--log-format", "json")
        #expect(consumed.status == 0, "\(consumed.stderr)")
        _ = try await receiver.output.waitFor(timeout: .seconds(30), description: "the process span") { $0.contains(#""name": "process async""#) }

        let spans = try Self.spans(receiver.output.text)
        let send = try #require(spans.first { $0.name == "send async" })
        let process = try #require(spans.first { $0.name == "process async" })
        #expect(send.service == "student-support-web")
        #expect(process.service == "student-support-worker")
        #expect(send.kind == 4 && process.kind == 5, "PRODUCER and CONSUMER")
        #expect(process.traceId == send.traceId, "one trace across both processes")
        #expect(process.parentSpanId == send.spanId)
        #expect(process.links.contains(ExportedSpan.Link(traceId: send.traceId, spanId: send.spanId)))
        for span in [send, process] {
            #expect(span.attributes["messaging.system"] == .text("messenger"))
            #expect(span.attributes["messaging.destination.name"] == .text("async"))
            #expect(span.attributes["messaging.message.id"] == .text(messageId))
        }
        #expect(process.attributes["messenger.outcome"] == .text("completed"))
        #expect(process.attributes["messenger.attempt"] == .number(1))
        #expect(process.status != 2, "not an error")

        // The handler's own log line, written inside the process span, names it.
        let handled = try #require(consumed.stderr.split(separator: "\n").first { $0.contains("Probe handled") })
        let line = try #require(try JSONSerialization.jsonObject(with: Data(handled.utf8)) as? [String: Any])
        #expect(line["trace_id"] as? String == process.traceId)
        #expect(line["span_id"] as? String == process.spanId)
    }

    @Test("a collector that cannot be reached: the command does its work, warns that spans were not exported, and exits 0")
    func unreachableCollector() async throws {
        var project = try TestProject()
        defer { project.remove() }
        project.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"
        let result = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "untraced"}"#)
        #expect(result.status == 0)
        #expect(result.stdout.contains("sent to async"))
        #expect(result.stderr.contains("WARNING [opentelemetry] Failed to export"), "\(result.stderr)")
        #expect(try await project.transport().statistics().total == 1)
    }

    @Test("a malformed OTLP setting: a clear error naming the variable and a non-zero exit before any command runs; an endpoint's credentials never shown",
          arguments: [
              (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"], "OTEL_EXPORTER_OTLP_PROTOCOL=carrier-pigeon is not a protocol"),
              (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"], "exports over HTTP only; use http/protobuf"),
              (["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:s3cr3t@nowhere"], "OTEL_EXPORTER_OTLP_ENDPOINT is not an http:// or https:// URL"),
              (["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces", "OTEL_TRACES_EXPORTER": "zipkin"], "OTEL_TRACES_EXPORTER=zipkin is not supported"),
          ])
    func badSetting(environment: [String: String], error: String) async throws {
        var project = try TestProject()
        defer { project.remove() }
        project.environment.merge(environment) { _, new in new }
        let result = try await project.run("messenger:stats")
        #expect(result.status == 1)
        #expect(result.stderr.contains(error), "\(result.stderr)")
        #expect(!result.stderr.contains("s3cr3t") && !result.stdout.contains("s3cr3t"))
        #expect(result.stdout.isEmpty, "no command ran")
    }
}
