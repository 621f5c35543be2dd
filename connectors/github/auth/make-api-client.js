// GitHub's REST API: a token as a Bearer credential, the media type and the API version GitHub
// asks for, and a User-Agent (GitHub rejects requests without one).
export default function makeApiClient({ credentials }) {
  return {
    baseUri: credentials.apiBaseUri ?? 'https://api.github.com',
    headers: {
      Authorization: `Bearer ${credentials.accessToken}`,
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'connector-runtime-github',
    },
  }
}
