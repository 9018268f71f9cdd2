import CLibPQ
import Foundation
import MessengerTestSupport
@testable import MessengerPostgres

/// A LISTEN session of the test's own, on libpq directly, that reads the notifications delivered to
/// it. They arrive in commit order: a fence notified last shows that every earlier one has arrived.
final class NotificationReader {
    private let connection: OpaquePointer

    init(info: PostgresConnectionInfo, channels: [String]) throws {
        guard let connection = PQconnectdb(info.conninfo), PQstatus(connection) == CONNECTION_OK else {
            throw TestSetupError(description: "the notification reader cannot connect")
        }
        self.connection = connection
        for channel in channels { PQclear(PQexec(connection, "LISTEN \"\(channel)\"")) }
    }

    deinit { PQfinish(connection) }

    /// The channels notified, in order, before `fence` was; an error after 10 s without it.
    func channels(before fence: String) throws -> [String] {
        var seen: [String] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 100)
            PQconsumeInput(connection)
            while let notification = PQnotifies(connection) {
                let channel = String(cString: notification.pointee.relname)
                PQfreemem(notification)
                if channel == fence { return seen }
                seen.append(channel)
            }
        }
        throw TestSetupError(description: "the fence notification \(fence) never came")
    }
}
