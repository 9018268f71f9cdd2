import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Messenger
import MessengerConsole
import Synchronization

/// `serve`: the HTTP API and dashboard, on loopback unless told otherwise; stops gracefully on
/// SIGTERM or SIGINT (requests in progress finish).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API and the dashboard (credentials: dashboard:user, dashboard:token).",
        discussion: "Example: app serve --port 8080. Bind another address than 127.0.0.1 only behind a TLS-terminating proxy (and pass --secure-cookies)."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port, printed at start).")
    var port = 8080

    @Option(help: "Mount everything under this path (e.g. /messenger).")
    var basePath = ""

    @Flag(help: "Mark the session cookie Secure (served over HTTPS).")
    var secureCookies = false

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
    }

    func run() async throws {
        let logger = verbosity.logger("messenger.http")
        let kernel = try MessengerKernel.booted(logger: logger)
        guard let store = kernel.credentialStore else {
            throw ValidationError("no transport can keep the dashboard's users (configure an sqlite:// or postgresql:// transport)")
        }
        let options = DashboardOptions(basePath: basePath, secureCookies: secureCookies)
        let dashboard = try MessengerDashboard(kernel: kernel, access: OperatorAccess(store: store, logger: logger), options: options,
                                               applicationAPIs: MessengerHTTPCommands.applicationAPIs.withLock { $0 }, logger: logger)
        let router = Router(context: DashboardRequestContext.self, options: .autoGenerateHeadEndpoints)
        dashboard.addRoutes(to: router)
        let (base, host, port) = (options.basePath, host, port)
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                logger.notice("Serving the API and dashboard on http://\(host):\(bound)\(base)/ (Ctrl-C or SIGTERM stops)")
            },
            logger: logger
        )
        try await app.runService()
        await kernel.close()
    }
}
