//! Network helpers shared by datasets: transports, community ids.
