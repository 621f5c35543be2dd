export default async ({ body, data }) => ({ same: body === data, id: body.id })
