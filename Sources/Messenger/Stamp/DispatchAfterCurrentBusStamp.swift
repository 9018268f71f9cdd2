/// Holds a message dispatched while another is being handled until that handling has succeeded.
///
/// If the current handler fails, the held messages are dropped with it: no mail about a change that
/// was rolled back.
public struct DispatchAfterCurrentBusStamp: Stamp {
    /// The stamp.
    public init() {}
}
