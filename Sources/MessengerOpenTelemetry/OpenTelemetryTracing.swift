import Foundation
import Logging
import OTel
import ServiceLifecycle

/// Exports spans (the messenger's `send` and `process` spans, the scheduler's emissions, and the
/// application's own) over OTLP/HTTP with swift-otel, when the standard OpenTelemetry variables ask
/// for it. Logs and metrics keep their own backends.
public enum OpenTelemetryTracing {
    /// Bootstraps swift-distributed-tracing with swift-otel when `OTEL_EXPORTER_OTLP_ENDPOINT` or
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set and `OTEL_TRACES_EXPORTER` is not `none`;
    /// `OTEL_SERVICE_NAME` and the exporter's other standard variables apply. Returns the service
    /// that exports the spans (run it beside the application, shut it down gracefully to flush
    /// them), or nil when tracing is not asked for. Throws when a variable is malformed.
    ///
    /// `diagnostics` says what goes wrong later (a collector that cannot be reached), from warnings up.
    public static func bootstrapFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                                diagnostics: Logger) throws -> (any Service)? {
        guard environment["OTEL_TRACES_EXPORTER"] != "none",
              environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil else { return nil }
        try validate(environment)
        var configuration = OTel.Configuration.default
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.diagnosticLogger = .custom(diagnostics)
        configuration.diagnosticLogLevel = .warning
        do {
            return try OTel.bootstrap(configuration: configuration)
        } catch {
            throw OpenTelemetryConfigurationError(description: "OpenTelemetry tracing (OTEL_* variables): \(error)")
        }
    }
}

extension OpenTelemetryTracing {
    /// swift-otel ignores a malformed variable (it says so in its diagnostics): these are refused
    /// instead, naming the variable (never its value: an endpoint may hold credentials).
    static func validate(_ environment: [String: String]) throws {
        for name in ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] {
            guard let value = environment[name] else { continue }
            guard let url = URL(string: value), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else {
                throw OpenTelemetryConfigurationError(description: "\(name) is not an http:// or https:// URL (OTLP over HTTP, e.g. http://127.0.0.1:4318)")
            }
        }
        for name in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
            guard let value = environment[name], value != "http/protobuf" else { continue }
            throw OpenTelemetryConfigurationError(description: value == "grpc"
                ? "\(name)=grpc: this application exports over HTTP only; use http/protobuf"
                : "\(name)=\(value) is not a protocol this application exports with; use http/protobuf")
        }
        if let exporter = environment["OTEL_TRACES_EXPORTER"], !["otlp", "none"].contains(exporter) {
            throw OpenTelemetryConfigurationError(description: "OTEL_TRACES_EXPORTER=\(exporter) is not supported; use otlp or none")
        }
    }
}

/// The OpenTelemetry variables cannot be used.
public struct OpenTelemetryConfigurationError: Error, CustomStringConvertible {
    public let description: String
}
