/// A transport that can tell at a worker's start whether it can ever work (wrong password, unknown
/// database): it throws for such permanent problems only, so that the worker exits with an error
/// instead of retrying forever; transient ones (server restarting) are left to the worker's retries.
public protocol StartupCheckedTransport: Transport {
    /// Throws, saying what is wrong, when the transport cannot work (an unreachable server, a table it cannot read).
    func checkAtStartup() async throws
}
