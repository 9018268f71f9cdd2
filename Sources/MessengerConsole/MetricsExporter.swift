import Logging

/// Serves a worker's metrics for scraping (`messenger:consume --metrics-address`). MessengerHTTP's
/// `PrometheusExporter` is one; an application sets it on `ConsoleApplication.metricsExporter`.
public protocol MetricsExporter: Sendable {
    /// Bootstraps the process's metrics system with this exporter's backend. Called once, before
    /// the worker exists.
    func bootstrap()
    /// Serves the metrics on `address` until the returned endpoint is stopped; returns once it
    /// listens. Throws, naming the address, when it cannot.
    func serve(_ address: MetricsAddress, logger: Logger) async throws -> RunningMetricsEndpoint
}

/// Where metrics are served: `host:port`, `[v6]:port`, or `:port` (every interface, as Prometheus'
/// exporters read it); port 0 takes any free port.
public struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    /// The interface's address or name (`0.0.0.0` for every interface).
    public let host: String
    /// The port (0: any free one).
    public let port: Int

    /// `host`:`port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `text`; nil when it is not an address with a port from 0 to 65535.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        guard !host.contains(where: { $0 == "/" || $0 == " " || $0 == "[" || $0 == "]" }) else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A metrics endpoint that listens.
public struct RunningMetricsEndpoint: Sendable {
    /// The port it listens on (the one given, or the one picked for port 0).
    public let port: Int
    private let stopServing: @Sendable () async -> Void

    /// An endpoint listening on `port`, stopped by `stop`.
    public init(port: Int, stop: @escaping @Sendable () async -> Void) {
        self.port = port
        stopServing = stop
    }

    /// Stops serving and returns once the server is closed.
    public func stop() async { await stopServing() }
}
