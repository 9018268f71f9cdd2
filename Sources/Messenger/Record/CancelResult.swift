/// What `messenger:cancel` did.
public enum CancelResult: Sendable, Equatable {
    /// It was waiting: removed, its status is now `cancelled`.
    case cancelled
    /// It is running: its worker was asked to stop it (it ends `cancelled`, or `completed` if the
    /// handler finishes anyway).
    case cancelling
    /// It had finished already (with this status): nothing to do.
    case alreadyFinished(MessageStatus)
    /// No record with this id.
    case missing
}
