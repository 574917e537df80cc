//! `ServeOptions::platforms` chooses which platform APIs a run serves (`switchboard simulate
//! --platforms`); the others answer 404 like any unknown path.

use std::sync::Arc;
use switchboard_sim::{serve, Platform, ServeOptions, World, WorldConfig, DEMO_API_KEY};

#[tokio::test]
async fn only_the_chosen_platforms_answer() {
    let world = Arc::new(World::generate(&WorldConfig { days: 2, conversations_per_day: 10, ..WorldConfig::default() }));
    let sim = serve(world, ServeOptions { platforms: vec![Platform::LiveAgentRest], ..ServeOptions::default() }).await.unwrap();
    let client = reqwest::Client::new();
    let odata = client
        .get(format!("{}Inbox?$top=1&$skip=0&apikey={DEMO_API_KEY}", sim.odata_url))
        .send()
        .await
        .unwrap();
    assert_eq!(odata.status(), 404);
    let rest = client
        .get(format!("{}api/v1/accounts/1/agents", sim.base_url))
        .header("api_access_token", DEMO_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 200);
    sim.shutdown().await;
}

#[test]
fn platform_lists_parse() {
    assert_eq!(Platform::parse_list("all").unwrap(), Platform::ALL.to_vec());
    assert_eq!(Platform::parse_list("REST, odata,rest").unwrap(), vec![Platform::LiveAgentRest, Platform::LiveAgentOdata]);
    assert!(Platform::parse_list("nope").unwrap_err().contains("koopid"));
    assert!(Platform::parse_list(" , ").is_err());
}
