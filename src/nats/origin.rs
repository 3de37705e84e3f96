//! The primary side (issue 13): publishes each room's state and last values to NATS and answers
//! the time and command subjects. Filled in below.
