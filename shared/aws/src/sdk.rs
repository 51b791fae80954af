//! The SDK configuration every function builds once at init, with as little work as Lambda
//! allows: credentials from the environment variables Lambda sets (no default chain probing
//! profile files, web identity, the container endpoint or the instance metadata service), the
//! region from `AWS_REGION`, and an HTTPS client trusting compiled-in roots (no reading and
//! parsing of the system's certificate store before the first call).

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::wiring::timeouts;

/// The roots every AWS service endpoint chains to: Amazon Trust Services' Amazon Root CA 1 to 4
/// and the Starfield Services root that cross-signs them (the same certificates as the
/// operating system's store holds under those names).
pub const AMAZON_TRUST_SERVICES_ROOTS: &str = include_str!("../certs/amazon-trust-services.pem");

/// The SDK's own rustls client, on ring (the crypto the staff sign-in uses too), trusting only
/// [`AMAZON_TRUST_SERVICES_ROOTS`].
pub fn https_client() -> SharedHttpClient {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS.as_bytes());
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("the compiled-in roots are a valid trust store");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// The SDK configuration: credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN`, the given region (`AWS_REGION`; the SDK's own lookup only when it is
/// not set), the emulator's endpoint when one is given, the [`https_client`] and the
/// [`timeouts`].
pub async fn config(endpoint_url: Option<String>, region: Option<String>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .http_client(https_client());
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    loader.load().await
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::pem::PemObject;

    use super::*;

    #[test]
    fn the_compiled_in_roots_are_the_five_amazon_trust_services_certificates() {
        let ders: Vec<_> = rustls_pki_types::CertificateDer::pem_slice_iter(
            AMAZON_TRUST_SERVICES_ROOTS.as_bytes(),
        )
        .collect::<Result<_, _>>()
        .expect("PEM");
        assert_eq!(ders.len(), 5);
        let mut roots = rustls::RootCertStore::empty();
        let (valid, invalid) = roots.add_parsable_certificates(ders);
        assert_eq!((valid, invalid), (5, 0));
    }
}
