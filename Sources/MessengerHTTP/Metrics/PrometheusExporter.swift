import CoreMetrics
import Hummingbird
import Logging
import MessengerConsole
import NIOCore
import Prometheus
import ServiceLifecycle

/// Serves the process's metrics (swift-metrics, through swift-prometheus) in Prometheus' text format
/// on `GET /metrics`: what `messenger:consume --metrics-address` runs beside a worker.
public struct PrometheusExporter: MetricsExporter {
    /// Where the metrics are kept.
    public let registry: PrometheusCollectorRegistry

    /// An exporter keeping the metrics in `registry`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) { self.registry = registry }

    public func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    public func serve(_ address: MetricsAddress, logger: Logger) async throws -> RunningMetricsEndpoint {
        let router = Router()
        router.get("/metrics") { [registry] _, _ in
            var text: [UInt8] = []
            registry.emit(into: &text)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let (listening, continuation) = AsyncThrowingStream<Int, any Error>.makeStream()
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? address.port) },
            logger: quiet
        )
        let group = ServiceGroup(services: [app], logger: quiet)
        let server = Task {
            do {
                try await group.run()
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        do {
            for try await port in listening {
                logger.notice("Serving metrics on http://\(MetricsAddress(host: address.host, port: port))/metrics")
                return RunningMetricsEndpoint(port: port) {
                    await group.triggerGracefulShutdown()
                    _ = await server.result
                }
            }
        } catch {
            throw MetricsExporterError("cannot serve metrics on \(address): \(error)")
        }
        throw MetricsExporterError("cannot serve metrics on \(address): the server stopped before listening")
    }
}

/// Why metrics cannot be served.
public struct MetricsExporterError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
