import ArgumentParser
import Messenger

/// `messenger:setup-transports`: creates the tables (or other storage) the transports need.
struct SetupTransportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messenger:setup-transports", abstract: "Create the storage the transports need.")

    @Argument(help: "The transport to set up (default: all).")
    var transport: String?

    @OptionGroup var verbosity: Verbosity

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        var names = kernel.transports.keys.sorted()
        if let transport {
            _ = try kernel.transport(named: transport)
            names = [transport]
        }
        for name in names {
            guard let setupable = kernel.transports[name] as? any SetupableTransport else {
                print("The \"\(name)\" transport needs no set-up.")
                continue
            }
            try await setupable.setup()
            print("[OK] The \"\(name)\" transport was set up.")
        }
    }
}
