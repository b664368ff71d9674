//! StartStreamEncryption: encrypts records written from now on under a KMS KeyId.

use std::sync::Arc;

use riffle_wire::RequestContext;
use riffle_wire::model::kinesis::{Empty, EncryptionInput};

use crate::error::Result;
use crate::service::StreamsService;

pub async fn handle(svc: Arc<StreamsService>, ctx: RequestContext, input: EncryptionInput) -> Result<Empty> {
    super::encryption::switch(&svc, &ctx, input, true)
}
