/// How the dashboard and API behave where they are mounted (session lifetime and login throttling are
/// `OperatorAccess`'s).
public struct DashboardOptions: Sendable {
    /// The path they are mounted under ("" at the root, e.g. "/messenger"); links and cookies use it.
    public var basePath: String
    /// Session cookies get `Secure` (serve over HTTPS, or behind a proxy that does).
    public var secureCookies: Bool
    /// How often open pages refresh themselves, in seconds.
    public var refreshSeconds: Int
    /// How long the throughput figures are kept before they are computed again, in seconds.
    public var statisticsMaxAge: Double
    /// The most messages a bulk action touches in one request.
    public var bulkLimit: Int

    /// Options: the base path to mount under, the session cookie's `Secure`, the pages' refresh period, how old shared figures may be, the most messages one bulk action touches.
    public init(basePath: String = "", secureCookies: Bool = false, refreshSeconds: Int = 5, statisticsMaxAge: Double = 5, bulkLimit: Int = 1000) {
        var base = basePath
        while base.hasSuffix("/") { base.removeLast() }
        if !base.isEmpty && !base.hasPrefix("/") { base = "/" + base }
        self.basePath = base
        self.secureCookies = secureCookies
        self.refreshSeconds = refreshSeconds
        self.statisticsMaxAge = statisticsMaxAge
        self.bulkLimit = bulkLimit
    }
}
