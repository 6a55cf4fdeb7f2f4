/**
 * /docs: Swagger UI from the swagger-ui-dist package, served by the Worker itself (public/vendor, copied
 * by scripts/copy-assets.mjs) and started by /assets/docs.js: it renders with no network.
 */
export function DocsPage() {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>WallTrack API docs</title>
        <link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css" />
        <script src="/vendor/swagger-ui/swagger-ui-bundle.js" defer />
        <script src="/assets/docs.js" defer />
      </head>
      <body>
        <div id="swagger-ui" />
      </body>
    </html>
  );
}
