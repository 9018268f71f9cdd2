/// How the dashboard and API behave where they are mounted.
public struct DashboardOptions: Sendable {
    /// The path they are mounted under ("" at the root, e.g. "/messenger"); links and cookies use it.
    public var basePath: String
    /// How long a browser session lasts, in seconds.
    public var sessionLifetime: Double
    /// Failed logins allowed per user name within `loginWindow` seconds before it is refused (429).
    public var loginAttempts: Int
    public var loginWindow: Double
    /// Session cookies get `Secure` (serve over HTTPS, or behind a proxy that does).
    public var secureCookies: Bool
    /// How often open pages refresh themselves, in seconds.
    public var refreshSeconds: Int
    /// How long the throughput figures are kept before they are computed again, in seconds.
    public var statisticsMaxAge: Double
    /// The most messages a bulk action touches in one request.
    public var bulkLimit: Int

    public init(basePath: String = "", sessionLifetime: Double = 12 * 3600, loginAttempts: Int = 5, loginWindow: Double = 900,
                secureCookies: Bool = false, refreshSeconds: Int = 5, statisticsMaxAge: Double = 5, bulkLimit: Int = 1000) {
        var base = basePath
        while base.hasSuffix("/") { base.removeLast() }
        if !base.isEmpty && !base.hasPrefix("/") { base = "/" + base }
        self.basePath = base
        self.sessionLifetime = sessionLifetime
        self.loginAttempts = loginAttempts
        self.loginWindow = loginWindow
        self.secureCookies = secureCookies
        self.refreshSeconds = refreshSeconds
        self.statisticsMaxAge = statisticsMaxAge
        self.bulkLimit = bulkLimit
    }
}
