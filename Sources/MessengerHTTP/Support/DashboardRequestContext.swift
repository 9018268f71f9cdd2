import Hummingbird
import NIOCore

/// A request context that knows the client's address, which the login throttle keys on: what
/// `app serve` uses, and what an application mounting the dashboard may use (or any context of its
/// own conforming to `RemoteAddressRequestContext`).
public struct DashboardRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
