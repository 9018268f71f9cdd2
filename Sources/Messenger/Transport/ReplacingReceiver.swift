/// A receiver that replaces a claimed message by another stored in the same database, atomically:
/// a retry (the message again, due later) or its parked copy in a failure transport.
///
/// The worker uses it instead of "send, then reject", which a crash between the two steps turns
/// into two rows. Replacements are batched like acknowledgements: written in one transaction with
/// the receiver's next claim or `flush`, so a run of failures costs one statement per batch.
public protocol ReplacingReceiver: Receiver {
    /// Schedules storing `replacement` through `sender` and removing `original` (a message this
    /// receiver handed out) in one transaction; the replacement is stored only if the original was
    /// still this receiver's to remove. Returns false, scheduling nothing, when `sender` stores in
    /// another database: the caller then sends and rejects in two steps.
    func replace(_ original: Envelope, with replacement: Envelope, via sender: any Sender) throws -> Bool
}
