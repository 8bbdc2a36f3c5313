declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  interface SwaggerUI {
    preauthorizeApiKey(name: string, value: string): void
  }
  const SwaggerUIBundle: (opts: Record<string, unknown>) => SwaggerUI
  export default SwaggerUIBundle
}
