import ArgumentParser
import Foundation
import Messenger

/// `messenger:stop-workers`: every worker started before now stops after its current message.
struct StopWorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messenger:stop-workers",
        abstract: "Stop every running worker gracefully, on any host, through the transports' database."
    )

    @OptionGroup var verbosity: Verbosity

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        let stores = kernel.stopSignalStores(for: kernel.storingTransportNames)
        guard !stores.isEmpty else {
            throw MessengerError(.notSupported, "no configured transport can carry the stop signal (it needs a database transport such as sqlite://)")
        }
        let now = Date()
        for store in stores { try await store.requestWorkersStop(at: now) }
        print("[OK] Stop signal sent: running workers stop after their current message (within a second of idling).")
    }
}
