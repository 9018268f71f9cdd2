/// Records that the message was sent to a transport instead of being handled now.
public struct SentStamp: Stamp {
    public let transportName: String
    public init(transportName: String) { self.transportName = transportName }
}
