/** Codes of the errors the test helpers throw. */
export type TestHelperErrorCode =
  | 'TEST_ERR_MISSING_BINARY'
  | 'TEST_ERR_START_FAILED'
  | 'TEST_ERR_NOT_RUNNING';

/** An error thrown by the test helpers; `code` is stable, `message` says what to do. */
export class TestHelperError extends Error {
  readonly code: TestHelperErrorCode;

  constructor(code: TestHelperErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TestHelperError';
    this.code = code;
  }
}
